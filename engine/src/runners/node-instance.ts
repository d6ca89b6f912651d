/**
 * Parent side of a `node` instance: one child process running one version. Several runs may be
 * in flight at once (up to the version's max concurrency). A crash fails only the runs in flight,
 * each with a clear error; the worker then replaces the instance.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { FromChild, ToChild } from './protocol';

export interface RunHandlers {
  onLog(line: string): void;
  onEmit(piece: unknown): void;
  onMetric(name: string, value: number): void;
}

export interface RunResult {
  output: unknown;
}

export class RunError extends Error {
  constructor(message: string, readonly canceled: boolean) {
    super(message);
  }
}

interface InFlight {
  handlers: RunHandlers;
  resolve(r: RunResult): void;
  reject(e: RunError): void;
}

export interface InstanceSpec {
  module: string;
  weights?: string;
  /** CUDA_VISIBLE_DEVICES for this instance; empty for CPU. */
  gpus: string;
}

const KILL_GRACE_MS = 3000;

export class NodeInstance {
  private child?: ChildProcess;
  private readonly inflight = new Map<string, InFlight>();
  private exited = false;
  /** Log lines printed during setup (shown on the instance and on predictions that waited for it). */
  readonly setupLogs: string[] = [];
  onExit: (reason: string) => void = () => undefined;

  constructor(readonly spec: InstanceSpec) {}

  /** Boots the child and runs setup; resolves with the predictor's setup time in seconds (what the
   * child measured; the process start and module load before it are boot time). */
  start(timeoutMs = 600_000): Promise<number> {
    const started = Date.now();
    const child = fork(join(__dirname, 'node-host.js'), [], {
      env: { ...process.env, CUDA_VISIBLE_DEVICES: this.spec.gpus },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child = child;
    const capture = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.setupLogs.push(line);
      if (this.setupLogs.length > 200) this.setupLogs.splice(0, this.setupLogs.length - 200);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`setup timed out after ${timeoutMs / 1000}s`));
        this.kill();
      }, timeoutMs);
      child.on('message', (msg: FromChild) => {
        if (msg.type === 'ready') {
          clearTimeout(timer);
          resolve(msg.setupSeconds ?? (Date.now() - started) / 1000);
        } else if (msg.type === 'setup_failed') {
          clearTimeout(timer);
          this.setupLogs.push(msg.error);
          reject(new Error(`setup failed: ${msg.error.split('\n')[0]}`));
          this.kill();
        } else this.route(msg);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        this.exited = true;
        const reason = signal ? `killed by ${signal}` : `exited with code ${code}`;
        reject(new Error(`instance ${reason} during setup`));
        for (const [, run] of this.inflight) run.reject(new RunError(`the model instance crashed (${reason})`, false));
        this.inflight.clear();
        this.onExit(reason);
      });
      this.send({ type: 'setup', module: this.spec.module, weights: this.spec.weights, gpus: this.spec.gpus });
    });
  }

  private route(msg: FromChild): void {
    if (msg.type === 'log') {
      if (msg.id) this.inflight.get(msg.id)?.handlers.onLog(msg.line);
      else this.setupLogs.push(msg.line);
      return;
    }
    if (msg.type === 'ready' || msg.type === 'setup_failed') return;
    const run = this.inflight.get(msg.id);
    if (!run) return;
    if (msg.type === 'emit') run.handlers.onEmit(msg.piece);
    else if (msg.type === 'metric') run.handlers.onMetric(msg.name, msg.value);
    else if (msg.type === 'done') {
      this.inflight.delete(msg.id);
      run.resolve({ output: msg.output });
    } else if (msg.type === 'error') {
      this.inflight.delete(msg.id);
      run.reject(new RunError(msg.error, msg.canceled));
    }
  }

  private send(msg: ToChild): void {
    if (this.child?.connected) this.child.send(msg);
  }

  get alive(): boolean {
    return !this.exited && !!this.child?.connected;
  }

  get load(): number {
    return this.inflight.size;
  }

  run(id: string, mode: 'predict' | 'train', input: Record<string, unknown>, handlers: RunHandlers, outputDir?: string): Promise<RunResult> {
    if (!this.alive) return Promise.reject(new RunError('the model instance is not running', false));
    return new Promise((resolve, reject) => {
      this.inflight.set(id, { handlers, resolve, reject });
      this.send({ type: 'run', id, mode, input, outputDir });
    });
  }

  /**
   * Cancels a run: the predictor sees `ctx.signal` aborted. A predictor that ignores it past the
   * grace period takes its instance down with it (the run is then reported canceled).
   */
  cancel(id: string): void {
    const run = this.inflight.get(id);
    if (!run) return;
    this.send({ type: 'cancel', id });
    setTimeout(() => {
      if (this.inflight.get(id) === run) {
        this.inflight.delete(id);
        run.reject(new RunError('canceled', true));
        this.kill();
      }
    }, KILL_GRACE_MS).unref();
  }

  kill(): void {
    if (this.child && !this.exited) this.child.kill('SIGKILL');
  }

  /** Stops gracefully: disconnecting makes the host exit; SIGKILL if it lingers. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, KILL_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
    });
  }
}
