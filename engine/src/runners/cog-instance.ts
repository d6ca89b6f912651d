/**
 * A Cog model server as an instance (Cog's HTTP API: docs/http.md in replicate/cog; how to
 * configure it: docs/runners-cog.md). The server is started from a command template (`launchCog`,
 * on server-process.ts) or reached at a `url`.
 *
 * - Boot: poll `GET /health-check` until READY (every few ms at first, backing off to 100 ms as a
 *   boot drags on, so a quick setup is noticed at once); SETUP_FAILED (or DEFUNCT) ends the boot with the
 *   setup logs. The setup time is the server's own `setup.completed_at - setup.started_at`.
 * - Runs: by default an idempotent `PUT /predictions/{id}` (or `/trainings/{id}`) with
 *   `Prefer: respond-async` and a webhook to this instance's receiver (cog-receiver.ts), so logs
 *   and streamed output reach the prediction as they happen; with `mode: "sync"` Cog's
 *   synchronous `POST /predictions` (id in the body), which answers with the result. A 409 (every slot of the server busy) never fails a run: it waits for a run here
 *   to finish, or a short backoff, and asks again.
 * - Cancel: `POST {path}/cancel` for async runs; a sync run's connection is dropped, which is how
 *   Cog cancels those.
 * - Health: after boot a watchdog keeps reading `/health-check`; a server that dies, stops
 *   answering, turns DEFUNCT or restarts (its setup started again) fails the runs it held, and the
 *   pool replaces the instance.
 * - Stop: `POST /shutdown`, then the process group is killed if it lingers (command-started only:
 *   a server reached by URL is not ours to shut down).
 * - Outputs: files (base64 data URLs, or files the server uploaded to the receiver when its command
 *   passes `--upload-url={upload_url}`) become engine-stored files (cog-files.ts); a training's are
 *   written into its weights directory instead. A bare path (the legacy server's async answer
 *   without an upload URL) fails the run with a clear error.
 */
import { RunError, type RunHandlers, type RunResult } from './node-instance';
import type { ModelInstance } from './instance';
import { cogHealth, cogRequest, type CogHealth, type CogResponse } from './cog-http';
import { CogRun, outcome } from './cog-run';
import { CogReceiver } from './cog-receiver';
import { BarePathError, outputFileRefs, saveTrainingFiles, type FileSources } from './cog-files';
import { bootPollMs, LogTail, ServerProcess } from './server-process';

export interface CogSpec {
  url?: string;
  command?: string;
  image?: string;
  weights?: string;
  /**
   * A local weights file for a server in a container: the receiver serves it and its URL is the
   * server's COG_WEIGHTS and {weights} (instead of `weights`).
   */
  servedWeights?: string;
  /** CUDA_VISIBLE_DEVICES for this instance; empty for CPU. */
  gpus: string;
  /** `async` (default): respond-async PUTs and webhooks; `sync`: each PUT waits for its result. */
  mode?: 'async' | 'sync';
  /** The host a containerised server reaches this worker at, for webhooks and uploads; loopback when unset. */
  webhookHost?: string;
  /** The version's `components.schemas` (where its outputs hold files). */
  schemas?: Record<string, unknown>;
  /** Largest output file the server may upload (the engine's file size limit). */
  maxUploadBytes?: number;
}

const SETUP_TIMEOUT_MS = 20 * 60_000;
/** A server given by URL is expected to be up already; a command may first pull an image. */
const URL_UNREACHABLE_MS = 30_000;
const WATCH_MS = 1000;
const WATCH_MISSES = 3;
/**
 * After a 409 the same request is tried again, soon at first: the legacy Cog server stays busy
 * until the answer to its terminal webhook is in (it posts it before it frees its slot), so the
 * next run often races it by a few milliseconds; a server really full stays so for longer.
 */
const BUSY_RETRY_FIRST_MS = 2;
const BUSY_RETRY_MAX_MS = 1000;
/** 409s before a run says in its logs that it waits (about 60 ms of retries). */
const BUSY_QUIET_ATTEMPTS = 5;
/** How long a canceled async run waits for Cog's `canceled` webhook before it is settled anyway. */
const CANCEL_GRACE_MS = 10_000;
const UNKNOWN_CANCEL_GRACE_MS = 1000;
/** After a dropped connection, how long to wait for the process to exit (the crash it signals). */
const CRASH_SETTLE_MS = 500;
const SHUTDOWN_GRACE_MS = 5000;
const KILL_GRACE_MS = 10_000;
/**
 * What the server posts back: new output and logs as they come, and the end. Not `start`: the
 * engine marks a run processing itself, and each webhook costs the server a request (and
 * throttles the next `output`/`logs` one by the same interval).
 */
const WEBHOOK_EVENTS = ['output', 'logs', 'completed'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CogCommandVars {
  gpus: string;
  image?: string;
  weights?: string;
  /** Where the server PUTs output files (`--upload-url`); empty when nothing receives them. */
  uploadUrl?: string;
}

/**
 * Starts a Cog server from a command template, e.g.
 * `docker run --rm --gpus '"device={gpus}"' -p 127.0.0.1:{port}:5000 {image}`. Placeholders:
 * {port} (a free local port the server must listen on), {gpus} (the devices the placement chose,
 * as CUDA_VISIBLE_DEVICES reads them; empty on CPU), {image}, {weights} (the version's weights
 * directory or URL; empty when it has none), {upload_url} (this instance's file receiver, for
 * Cog's `--upload-url`).
 */
export function launchCog(template: string, vars: CogCommandVars, onOutput: (text: string) => void, onExit: (reason: string) => void): Promise<ServerProcess> {
  const env: Record<string, string> = { CUDA_VISIBLE_DEVICES: vars.gpus };
  // Cog hands COG_WEIGHTS to setup(); a command that runs the server directly gets it as is.
  if (vars.weights) env.COG_WEIGHTS = vars.weights;
  const values = { gpus: vars.gpus, image: vars.image ?? '', weights: vars.weights ?? '', upload_url: vars.uploadUrl ?? '' };
  return ServerProcess.launch(template, { values, env, onOutput, onExit });
}

/**
 * Cog's own graceful path first, `POST /shutdown` (the server exits; a `docker run --rm`
 * container goes with it), up to `exitMs` for the process to end; then the process group is
 * signalled (SIGTERM, SIGKILL after `killMs`), which also ends anything the command left behind.
 */
export async function shutdownCog(server: ServerProcess, times: { requestMs: number; exitMs: number; killMs: number }): Promise<void> {
  if (server.running) {
    await cogRequest(`${server.base}/shutdown`, 'POST', { timeoutMs: times.requestMs }).catch(() => undefined);
    await server.waitExit(times.exitMs);
  }
  await server.stop(times.killMs);
}

function describeError(body: CogResponse['body']): string {
  if (typeof body.error === 'string' && body.error) return body.error;
  return JSON.stringify(body.detail ?? body);
}

export class CogInstance implements ModelInstance {
  onExit: (reason: string) => void = () => undefined;
  private readonly logs = new LogTail();
  private base = '';
  private process?: ServerProcess;
  /** Webhooks (async mode) and uploads (a command with {upload_url}) come back through it. */
  private readonly receiver?: CogReceiver;
  private readonly async: boolean;
  private readonly inflight = new Map<string, CogRun>();
  /** Runs waiting after a 409, woken when a run here ends. */
  private readonly slotWaiters = new Set<() => void>();
  private watchdog?: NodeJS.Timeout;
  private watching = false;
  private misses = 0;
  private setupStartedAt?: string;
  private booted = false;
  private stopping = false;
  /** Why the server is gone, once it is. */
  private dead?: string;
  private released?: Promise<void>;

  constructor(private readonly spec: CogSpec) {
    this.async = spec.mode !== 'sync';
    if (this.async || spec.command?.includes('{upload_url}') || spec.servedWeights) {
      this.receiver = new CogReceiver({ publicHost: spec.webhookHost, maxUploadBytes: spec.maxUploadBytes });
    }
  }

  get setupLogs(): string[] {
    return this.logs.lines;
  }

  async start(): Promise<number> {
    const started = Date.now();
    try {
      await this.receiver?.start();
      if (this.spec.command) {
        const { gpus, image, servedWeights } = this.spec;
        const weights = servedWeights ? await this.receiver!.serveWeights(servedWeights) : this.spec.weights;
        const vars = { gpus, image, weights, uploadUrl: this.receiver?.uploadUrl };
        this.process = await launchCog(this.spec.command, vars, (text) => this.logs.push(text), (reason) => this.die(reason));
        this.base = this.process.base;
      } else {
        this.base = (this.spec.url ?? '').replace(/\/$/, '');
      }
      const { health, sawSetup } = await this.waitReady(started);
      // A command's output is captured already; a server reached by URL shows its setup logs here only.
      if (!this.process && health.setup?.logs) this.logs.push(health.setup.logs);
      this.setupStartedAt = health.setup?.started_at;
      this.booted = true;
      this.watchdog = setInterval(() => void this.watch(), WATCH_MS);
      this.watchdog.unref();
      return this.setupSeconds(health, started, sawSetup);
    } catch (err) {
      this.stopping = true;
      await this.release();
      throw err;
    }
  }

  /** Polls the health check until READY; `sawSetup` tells whether setup ran while we watched. */
  private async waitReady(started: number): Promise<{ health: CogHealth; sawSetup: boolean }> {
    let sawSetup = !!this.process;
    for (;;) {
      if (this.process?.exitReason) {
        const last = this.setupLogs[this.setupLogs.length - 1];
        throw new Error(`the Cog server ${this.process.exitReason} during setup${last ? ` (${last})` : ''}`);
      }
      if (this.stopping) throw new Error('the instance was stopped during setup');
      const waited = Date.now() - started;
      if (waited > SETUP_TIMEOUT_MS) throw new Error(`setup timed out after ${SETUP_TIMEOUT_MS / 1000}s`);
      const health = await cogHealth(this.base);
      if (!health && !this.process && waited > URL_UNREACHABLE_MS) {
        throw new Error(`the Cog server at ${this.base} does not answer GET /health-check`);
      }
      const status = health?.status;
      if (status === 'READY' || status === 'BUSY') return { health: health!, sawSetup };
      if (status === 'SETUP_FAILED' || status === 'DEFUNCT') {
        const logs = health!.setup?.logs ?? '';
        if (logs) this.logs.push(logs);
        const last = logs.trim().split('\n').pop() ?? '';
        throw new Error(`setup failed: the Cog server reports ${status}${last ? ` (${last})` : ''}`);
      }
      if (status === 'STARTING') sawSetup = true;
      await sleep(bootPollMs(waited));
    }
  }

  /**
   * The server's own measure of its setup, when this boot saw it happen. A server reached by URL
   * that was already READY set up long ago: its boot here took only the wait.
   */
  private setupSeconds(health: CogHealth, started: number, sawSetup: boolean): number {
    const from = Date.parse(health.setup?.started_at ?? '');
    const to = Date.parse(health.setup?.completed_at ?? '');
    if (sawSetup && Number.isFinite(from) && Number.isFinite(to) && to >= from) return (to - from) / 1000;
    return (Date.now() - started) / 1000;
  }

  private async watch(): Promise<void> {
    if (this.watching || this.dead || this.stopping) return;
    this.watching = true;
    try {
      const health = await cogHealth(this.base);
      if (this.dead || this.stopping) return;
      if (!health) {
        if (++this.misses >= WATCH_MISSES) this.die(`stopped answering its health check`);
        return;
      }
      this.misses = 0;
      if (health.status === 'DEFUNCT') this.die('reports DEFUNCT (an unrecoverable error)');
      else if (this.setupStartedAt && health.setup?.started_at && health.setup.started_at !== this.setupStartedAt) {
        this.die('restarted (its setup ran again), losing the runs it held');
      }
    } finally {
      this.watching = false;
    }
  }

  /** The server is gone: fail what it held, clean up, and tell the pool (after boot only). */
  private die(reason: string): void {
    if (this.dead || this.stopping) return;
    this.dead = reason;
    clearInterval(this.watchdog);
    for (const run of this.inflight.values()) run.fail(new RunError(`the Cog server ${reason} while this run was in progress`, run.canceled));
    for (const wake of [...this.slotWaiters]) wake();
    void this.release();
    if (this.booted) this.onExit(reason);
  }

  async run(id: string, mode: 'predict' | 'train', input: Record<string, unknown>, handlers: RunHandlers, outputDir?: string): Promise<RunResult> {
    if (this.dead) throw new RunError(`the Cog server ${this.dead}`, false);
    const run = new CogRun(id, `/${mode === 'train' ? 'trainings' : 'predictions'}/${encodeURIComponent(id)}`, handlers);
    this.inflight.set(id, run);
    const receiver = this.receiver;
    const unlisten = receiver?.listen(id, (state) => run.receive(state));
    try {
      const state = this.async && receiver ? await this.runAsync(run, input, receiver) : await this.runSync(run, input);
      const refused = receiver?.uploadError(id);
      // The server only reports that an upload failed; the receiver knows why.
      const result = outcome(refused && state.status === 'failed' ? { ...state, error: `${state.error ?? 'upload failed'}: ${refused}` } : state, run.canceled);
      const sources: FileSources = {
        uploaded: (url) => receiver?.takeUpload(url),
        schemas: this.spec.schemas,
        root: mode === 'train' ? 'TrainingOutput' : 'Output',
      };
      try {
        if (mode === 'train' && outputDir) return { output: await saveTrainingFiles(result.output, outputDir, sources) };
        return { output: await outputFileRefs(result.output, sources) };
      } catch (err) {
        if (err instanceof BarePathError) throw new RunError(err.message, false);
        throw err;
      }
    } finally {
      unlisten?.();
      this.inflight.delete(id);
      for (const wake of [...this.slotWaiters]) wake();
    }
  }

  private async runAsync(run: CogRun, input: Record<string, unknown>, receiver: CogReceiver) {
    const body = { id: run.id, input, webhook: receiver.urlFor(run.id), webhook_events_filter: WEBHOOK_EVENTS };
    const res = await this.submit(run, body, { prefer: 'respond-async' });
    run.accepted = true;
    // 202 with the state so far; a server that ignores the preference answers 200 with the result.
    run.receive(res.body);
    if (run.canceled) this.sendCancel(run);
    return run.terminal;
  }

  /** Cog's synchronous create: `POST /predictions` (or `/trainings`) with the id in the body. */
  private async runSync(run: CogRun, input: Record<string, unknown>) {
    const res = await this.submit(run, { id: run.id, input }, {}, run.abort.signal, 'POST');
    run.accepted = true;
    run.receive(res.body);
    if (!run.done) run.fail(new RunError(`the Cog server answered HTTP ${res.status} without a result (status ${String(res.body.status)})`, false));
    return run.terminal;
  }

  /**
   * Creates the run until the server takes it: a 409 waits for a free slot and asks again.
   * `PUT /predictions/{id}` (idempotent) by default; `POST /predictions` for sync mode.
   */
  private async submit(run: CogRun, body: unknown, headers: Record<string, string>, signal?: AbortSignal, method: 'PUT' | 'POST' = 'PUT'): Promise<CogResponse> {
    const url = `${this.base}${method === 'PUT' ? run.path : run.path.slice(0, run.path.lastIndexOf('/'))}`;
    let toldBusy = false;
    for (let attempt = 0; ; attempt++) {
      if (run.canceled) throw new RunError('canceled', true);
      if (run.done) return { status: 200, body: await run.terminal };
      let res: CogResponse;
      try {
        res = await cogRequest(url, method, { body, headers, signal });
      } catch (err) {
        if (run.canceled) throw new RunError('canceled', true);
        // A crash shows up as a dropped connection a moment before the process exit.
        await this.process?.waitExit(CRASH_SETTLE_MS);
        if (run.done) return { status: 200, body: await run.terminal };
        throw new RunError(`the Cog server is unreachable: ${(err as Error).message}`, false);
      }
      if (res.status === 409) {
        // The few-millisecond race after another run ends is not worth a log line; a real wait is.
        if (!toldBusy && attempt >= BUSY_QUIET_ATTEMPTS) {
          run.log('the Cog server is at capacity (409); waiting for a free slot');
          toldBusy = true;
        }
        await this.slotFreed(run, Math.min(BUSY_RETRY_MAX_MS, BUSY_RETRY_FIRST_MS * 2 ** attempt));
        continue;
      }
      if (res.status === 422) throw new RunError(`the Cog server rejected the input: ${describeError(res.body)}`, false);
      if (res.status >= 400) throw new RunError(`the Cog server answered HTTP ${res.status}: ${describeError(res.body)}`, false);
      return res;
    }
  }

  /** Resolves when a run here ends, the run is canceled, or after `ms`. */
  private slotFreed(run: CogRun, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.slotWaiters.delete(done);
        run.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.slotWaiters.add(done);
      run.wakers.add(done);
    });
  }

  cancel(id: string): void {
    const run = this.inflight.get(id);
    if (!run || run.done) return;
    run.cancel();
    if (!this.async) run.abort.abort();
    else if (run.accepted) this.sendCancel(run);
    // Not accepted yet: submit() sees the flag, before or right after the server takes the run.
  }

  private sendCancel(run: CogRun): void {
    const settleAfter = (ms: number) => setTimeout(() => run.fail(new RunError('canceled', true)), ms).unref();
    void cogRequest(`${this.base}${run.path}/cancel`, 'POST', { timeoutMs: 5000 }).then(
      // 404: the server no longer knows the run (it just ended; its webhook is on the way).
      (res) => settleAfter(res.status === 404 ? UNKNOWN_CANCEL_GRACE_MS : CANCEL_GRACE_MS),
      () => settleAfter(UNKNOWN_CANCEL_GRACE_MS),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchdog);
    for (const run of this.inflight.values()) run.fail(new RunError('the model instance was stopped', run.canceled));
    for (const wake of [...this.slotWaiters]) wake();
    await this.release();
  }

  /** Shuts the server down (command-started only) and closes the receiver; once. */
  private release(): Promise<void> {
    this.released ??= (async () => {
      if (this.process) await shutdownCog(this.process, { requestMs: 2000, exitMs: SHUTDOWN_GRACE_MS, killMs: KILL_GRACE_MS });
      await this.receiver?.close();
    })();
    return this.released;
  }
}
