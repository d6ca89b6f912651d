/**
 * An OpenAI-compatible server (vLLM, Ollama, llama.cpp's server, LocalAI) as an instance. Either
 * reached at a `url`, or started from a `command` template such as
 * `vllm serve {weights} --served-model-name {model} --port {port}` ({port}, {gpus}, {model},
 * {weights} are filled in). Setup is done when `GET /v1/models` answers (servers that load the
 * model before listening, like vLLM and llama.cpp, only answer then). Each run is one streamed
 * `POST /v1/chat/completions`: every text delta is emitted as it arrives (the prediction's SSE
 * stream and webhooks see it), and the output is the list of deltas, as Replicate's language
 * models give it. Cancel aborts the HTTP request, which vLLM, llama.cpp and Ollama take as the
 * signal to stop generating.
 */
import { chatCompletionRequest } from './openai-inputs';
import { httpErrorText, interpretChunk, sseData, StreamProtocolError } from './openai-stream';
import { RunError, type RunHandlers, type RunResult } from './node-instance';
import { fetchFailure, LogTail, ServerProcess, SetupRejected, waitUntilReady } from './server-process';
import { TokenMeter } from './token-meter';
import type { ModelInstance } from './instance';

export interface OpenAISpec {
  url?: string;
  command?: string;
  /** The model name the server serves, sent as `model` in every request. */
  model: string;
  /** Sent as a bearer token, for attached servers that require one (LocalAI, a vLLM with --api-key). */
  apiKey?: string;
  weights?: string;
  /** CUDA_VISIBLE_DEVICES for a started server; empty for CPU. */
  gpus: string;
}

/** Loading a large model (downloading weights, compiling CUDA graphs) can take many minutes. */
const SETUP_TIMEOUT_MS = 20 * 60_000;
const STOP_GRACE_MS = 10_000;
/** How long a server reached by URL may not answer at all before setup fails. */
const UNREACHABLE_MS = 15_000;

/** The server's root: `http://host:8000/v1`, the usual OpenAI base URL, means `http://host:8000`. */
function serverRoot(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

export class OpenAIInstance implements ModelInstance {
  onExit: (reason: string) => void = () => undefined;
  private readonly logs = new LogTail();
  private base = '';
  private server?: ServerProcess;
  private stopping = false;
  private readonly inflight = new Map<string, AbortController>();

  constructor(private readonly spec: OpenAISpec) {}

  get setupLogs(): string[] {
    return this.logs.lines;
  }

  private headers(json: boolean): Record<string, string> {
    return {
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...(this.spec.apiKey ? { authorization: `Bearer ${this.spec.apiKey}` } : {}),
    };
  }

  async start(): Promise<number> {
    if (this.spec.command) {
      this.server = await ServerProcess.launch(this.spec.command, {
        values: { gpus: this.spec.gpus, model: this.spec.model, weights: this.spec.weights ?? '' },
        env: { CUDA_VISIBLE_DEVICES: this.spec.gpus },
        onOutput: (text) => this.logs.push(text),
        onExit: (reason) => {
          if (!this.stopping) this.onExit(reason);
        },
      });
      this.base = this.server.base;
    } else {
      this.base = serverRoot(this.spec.url ?? '');
    }
    try {
      const seconds = await waitUntilReady({
        probe: () => this.ready(),
        giveUp: () =>
          this.stopping
            ? 'the instance was stopped during setup'
            : this.server?.exitReason
              ? `the OpenAI-compatible server ${this.server.exitReason} during setup`
              : undefined,
        timeoutMs: SETUP_TIMEOUT_MS,
        unreachableAfterMs: this.server ? undefined : UNREACHABLE_MS,
        where: `${this.base}/v1/models`,
      });
      return seconds;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * Whether the server answers `GET /v1/models`; a server without that route (404) counts as
   * ready once `GET /health` answers. A refused api_key ends setup at once. Notes in the setup logs when the configured model is not
   * among those listed (llama.cpp lists its file name and ignores `model`, so it is no error).
   */
  private async ready(): Promise<boolean> {
    const res = await fetch(`${this.base}/v1/models`, { headers: this.headers(false), signal: AbortSignal.timeout(5000) });
    if (res.status === 404) {
      const health = await fetch(`${this.base}/health`, { signal: AbortSignal.timeout(5000) });
      return health.ok;
    }
    if (res.status === 401 || res.status === 403) {
      throw new SetupRejected(`${httpErrorText(res.status, await res.text().catch(() => ''))} (check the runner's api_key)`);
    }
    if (!res.ok) return false;
    const listed = ((await res.json().catch(() => ({}))) as { data?: Array<{ id?: unknown }> }).data ?? [];
    const ids = listed.map((m) => m.id).filter((id): id is string => typeof id === 'string');
    if (ids.length && !ids.includes(this.spec.model)) {
      this.logs.push(`note: the server lists ${ids.join(', ')}, not "${this.spec.model}"; requests name "${this.spec.model}"`);
    }
    return true;
  }

  async run(id: string, _mode: 'predict' | 'train', input: Record<string, unknown>, handlers: RunHandlers): Promise<RunResult> {
    const controller = new AbortController();
    this.inflight.set(id, controller);
    const meter = new TokenMeter();
    try {
      return { output: await this.stream(input, handlers, meter, controller.signal) };
    } catch (err) {
      if (controller.signal.aborted) throw new RunError('canceled', true);
      if (err instanceof RunError) throw err;
      if (err instanceof StreamProtocolError) throw new RunError(err.message, false);
      const died = this.server?.exitReason ? ` (the server ${this.server.exitReason})` : '';
      throw new RunError(`the connection to the OpenAI-compatible server broke mid-stream: ${fetchFailure(err)}${died}`, false);
    } finally {
      this.inflight.delete(id);
      // Reported whatever the outcome: tokens streamed before a cancel or a failure were generated.
      for (const [name, value] of Object.entries(meter.metrics())) handlers.onMetric(name, value);
    }
  }

  private async stream(input: Record<string, unknown>, handlers: RunHandlers, meter: TokenMeter, signal: AbortSignal): Promise<string[]> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/v1/chat/completions`, {
        method: 'POST',
        headers: this.headers(true),
        body: JSON.stringify(chatCompletionRequest(this.spec.model, input)),
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new RunError(`the OpenAI-compatible server is unreachable: ${fetchFailure(err)}`, false);
    }
    if (!res.ok) throw new RunError(httpErrorText(res.status, await res.text().catch(() => '')), false);
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream') || !res.body) {
      const body = await res.text().catch(() => '');
      throw new RunError(`the OpenAI-compatible server did not stream (content-type ${type || 'none'}): ${body.slice(0, 200)}`, false);
    }
    const chunks: string[] = [];
    let finishReason: string | undefined;
    let done = false;
    for await (const data of sseData(res.body)) {
      for (const part of interpretChunk(data)) {
        if (part.kind === 'text') {
          meter.chunk();
          chunks.push(part.text);
          handlers.onEmit(part.text);
        } else if (part.kind === 'finish') finishReason = part.reason;
        else if (part.kind === 'usage') meter.recordUsage(part.inputTokens, part.outputTokens);
        else done = true;
      }
      if (done) break;
    }
    // A finished choice without [DONE] is a complete answer; neither means the stream was cut.
    if (!done && finishReason === undefined) {
      throw new StreamProtocolError('the stream ended before the completion finished (no finish_reason, no [DONE]): the connection dropped or the server stopped');
    }
    if (!meter.hasUsage) handlers.onLog('the server reported no token usage: output_token_count counts streamed chunks, input_token_count is unknown');
    if (finishReason === 'length') handlers.onLog('generation stopped at max_tokens (finish_reason: length)');
    return chunks;
  }

  cancel(id: string): void {
    this.inflight.get(id)?.abort();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const controller of this.inflight.values()) controller.abort();
    await this.server?.stop(STOP_GRACE_MS);
  }
}
