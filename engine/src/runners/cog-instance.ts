/**
 * A Cog model server as an instance (Cog's HTTP API, docs/http.md in replicate/cog). Either
 * reached at a `url`, or started from a `command` template such as
 * `docker run --rm --gpus '"device={gpus}"' -p {port}:5000 {image}` ({port}, {gpus}, {image} are
 * filled in). Setup is done when `GET /health-check` says READY; each run is an idempotent,
 * synchronous `PUT /predictions/{id}` (or `/trainings/{id}`); cancel is
 * `POST /predictions/{id}/cancel`, after which the pending request answers `canceled`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { RunError, type RunHandlers, type RunResult } from './node-instance';

export interface CogSpec {
  url?: string;
  command?: string;
  image?: string;
  weights?: string;
  gpus: string;
}

const HEALTH_POLL_MS = 200;
const SETUP_TIMEOUT_MS = 20 * 60_000;
const STOP_GRACE_MS = 10_000;
/** Cog metrics that are billing quantities here, by the name the pricing rules read. */
const BILLING_METRICS: Record<string, string> = {
  image_count: 'image_count',
  image_output_count: 'image_count',
  input_token_count: 'input_token_count',
  token_input_count: 'input_token_count',
  output_token_count: 'output_token_count',
  token_output_count: 'output_token_count',
  audio_output_duration_seconds: 'audio_output_seconds',
  video_output_duration_seconds: 'video_output_seconds',
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export class CogInstance {
  readonly setupLogs: string[] = [];
  onExit: (reason: string) => void = () => undefined;
  private base = '';
  private child?: ChildProcess;
  private stopping = false;
  private readonly inflight = new Map<string, { path: string; canceled: boolean }>();

  constructor(private readonly spec: CogSpec) {}

  private capture(text: string): void {
    for (const line of text.split('\n')) if (line) this.setupLogs.push(line);
    if (this.setupLogs.length > 200) this.setupLogs.splice(0, this.setupLogs.length - 200);
  }

  async start(): Promise<number> {
    const started = Date.now();
    let exited: string | undefined;
    if (this.spec.command) {
      const port = await freePort();
      const command = this.spec.command
        .replaceAll('{port}', String(port))
        .replaceAll('{gpus}', this.spec.gpus)
        .replaceAll('{image}', this.spec.image ?? '');
      this.base = `http://127.0.0.1:${port}`;
      // Its own process group, so stop() reaches whatever the command started.
      const child = spawn('sh', ['-c', command], {
        detached: true,
        env: { ...process.env, CUDA_VISIBLE_DEVICES: this.spec.gpus, ...(this.spec.weights ? { COG_WEIGHTS: this.spec.weights } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      child.stdout?.on('data', (c: Buffer) => this.capture(c.toString()));
      child.stderr?.on('data', (c: Buffer) => this.capture(c.toString()));
      child.on('exit', (code, signal) => {
        exited = signal ? `killed by ${signal}` : `exited with code ${code}`;
        for (const [id] of this.inflight) this.inflight.delete(id);
        if (!this.stopping) this.onExit(exited);
      });
    } else {
      this.base = (this.spec.url ?? '').replace(/\/$/, '');
    }
    for (;;) {
      if (exited) throw new Error(`the Cog server ${exited} during setup`);
      if (Date.now() - started > SETUP_TIMEOUT_MS) {
        await this.stop();
        throw new Error(`setup timed out after ${SETUP_TIMEOUT_MS / 1000}s`);
      }
      const health = await this.health();
      if (health?.status === 'READY' || health?.status === 'BUSY') return (Date.now() - started) / 1000;
      if (health?.status === 'SETUP_FAILED' || health?.status === 'DEFUNCT') {
        if (health.setup?.logs) this.capture(health.setup.logs);
        await this.stop();
        const last = (health.setup?.logs ?? '').trim().split('\n').pop() ?? '';
        throw new Error(`setup failed: the Cog server reports ${health.status}${last ? ` (${last})` : ''}`);
      }
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
  }

  private async health(): Promise<{ status?: string; setup?: { logs?: string } } | undefined> {
    try {
      const res = await fetch(`${this.base}/health-check`, { signal: AbortSignal.timeout(2000) });
      return (await res.json()) as { status?: string; setup?: { logs?: string } };
    } catch {
      return undefined; // not listening yet
    }
  }

  async run(id: string, mode: 'predict' | 'train', input: Record<string, unknown>, handlers: RunHandlers): Promise<RunResult> {
    const path = mode === 'train' ? `/trainings/${id}` : `/predictions/${id}`;
    const entry = { path, canceled: false };
    this.inflight.set(id, entry);
    try {
      let res: Response;
      try {
        res = await fetch(`${this.base}${path}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, input }),
        });
      } catch (err) {
        throw new RunError(`the Cog server is unreachable: ${(err as Error).message}`, entry.canceled);
      }
      if (res.status === 409) throw new RunError('the Cog server has no free prediction slot (409)', false);
      const body = (await res.json().catch(() => ({}))) as {
        status?: string;
        output?: unknown;
        error?: string | null;
        logs?: string;
        metrics?: Record<string, unknown>;
        detail?: unknown;
      };
      for (const line of (body.logs ?? '').split('\n')) if (line) handlers.onLog(line);
      for (const [name, value] of Object.entries(body.metrics ?? {})) {
        if (BILLING_METRICS[name] && typeof value === 'number') handlers.onMetric(BILLING_METRICS[name], value);
      }
      if (res.status === 422) throw new RunError(`the Cog server rejected the input: ${JSON.stringify(body.detail ?? body)}`, false);
      if (body.status === 'canceled' || entry.canceled) throw new RunError('canceled', true);
      if (body.status !== 'succeeded') throw new RunError(body.error ?? `the Cog server answered ${res.status} (${body.status ?? 'no status'})`, false);
      return { output: body.output ?? null };
    } finally {
      this.inflight.delete(id);
    }
  }

  cancel(id: string): void {
    const entry = this.inflight.get(id);
    if (!entry) return;
    entry.canceled = true;
    void fetch(`${this.base}${entry.path}/cancel`, { method: 'POST' }).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, STOP_GRACE_MS);
    await gone;
    clearTimeout(timer);
  }
}
