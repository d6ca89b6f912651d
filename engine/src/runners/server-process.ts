/**
 * A model server started from a shell command template, for the runners that talk to an HTTP
 * server (an OpenAI-compatible server, a Cog server): a free port to give it, placeholders filled
 * in, its own process group so stopping it also stops whatever the command started (`docker run`,
 * a wrapper script, a Python launcher and its workers), its exit reason, and a setup wait that
 * polls a readiness probe until it answers, the process dies, the instance is stopped or a time
 * limit passes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A TCP port that was free a moment ago (the server binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Replaces each `{name}` in a command template; unknown placeholders stay as written. */
function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? values[name] : whole));
}

/** Keeps the last lines a server printed: setup logs shown on the instance and on waiting runs. */
export class LogTail {
  readonly lines: string[] = [];
  constructor(private readonly max = 200) {}

  push(text: string): void {
    for (const line of text.split('\n')) if (line.trim()) this.lines.push(line.replace(/\r$/, ''));
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
}

export interface ServerLaunch {
  /** Placeholder values ({gpus}, {weights}, …); {port} is added: a free local port to listen on. */
  values: Record<string, string>;
  /** Added to this process's environment. */
  env: Record<string, string>;
  /** Everything the command prints, stdout and stderr. */
  onOutput: (text: string) => void;
  /** Called once when the process ends, whatever the cause, with its exit reason. */
  onExit: (reason: string) => void;
}

export class ServerProcess {
  /** Why the process ended (`exited with code 1`, `was killed by SIGKILL`); unset while it runs. */
  exitReason?: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  /** Starts `template` on a free local port, under `sh -c` in a new process group. */
  static async launch(template: string, opts: ServerLaunch): Promise<ServerProcess> {
    const port = await freePort();
    return new ServerProcess(fillTemplate(template, { ...opts.values, port: String(port) }), opts, `http://127.0.0.1:${port}`);
  }

  private constructor(
    command: string,
    { env, onOutput, onExit }: ServerLaunch,
    /** Where the server answers: `http://127.0.0.1:{port}`. */
    readonly base: string,
  ) {
    this.child = spawn('sh', ['-c', command], { detached: true, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (c: Buffer) => onOutput(c.toString()));
    this.child.stderr?.on('data', (c: Buffer) => onOutput(c.toString()));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitReason = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        onExit(this.exitReason);
        resolve();
      });
      // A command that cannot be spawned at all (no `sh`) is an exit too.
      this.child.once('error', (err) => {
        if (this.exitReason) return;
        this.exitReason = `could not start: ${err.message}`;
        onExit(this.exitReason);
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.exitReason === undefined;
  }

  /** Resolves when the process has ended, or after `ms` (whichever is first). */
  async waitExit(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /** SIGTERM to the whole process group, SIGKILL after `graceMs`; resolves once the shell is gone. */
  async stop(graceMs: number): Promise<void> {
    const pid = this.child.pid;
    if (!pid) return;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // the group is already gone
      }
    };
    if (this.running) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // The shell may be gone (it exited, or it died before children that ignored SIGTERM) while
    // something it started lingers in the group: that still gets the kill.
    signalGroup('SIGKILL');
  }
}

/** Why a fetch failed: undici's "fetch failed" hides the reason (ECONNREFUSED, "other side closed") in its cause. */
export function fetchFailure(err: unknown): string {
  const e = err as Error & { cause?: { message?: string; code?: string } };
  // A system error's code (ECONNREFUSED) says it all; undici's own codes (UND_ERR_SOCKET) do not.
  const code = e.cause?.code;
  const cause = code && !code.startsWith('UND_') ? code : e.cause?.message;
  if (!cause || e.message.includes(cause)) return e.message;
  return e.message === 'fetch failed' ? cause : `${e.message} (${cause})`;
}

/**
 * How long to wait before the next readiness poll of a booting server, `elapsedMs` into its boot:
 * often at first (a quick setup is noticed within milliseconds of being ready), then less often
 * as the boot drags on (1 % of the time waited so far: a 1 s boot is polled every 10 ms, anything
 * past 10 s every 100 ms), so READY is noticed within about 1 % of the boot time, and a long
 * setup costs the server a request per 100 ms at most.
 */
export function bootPollMs(elapsedMs: number): number {
  return Math.min(100, Math.max(5, Math.round(elapsedMs / 100)));
}

/** Thrown by a readiness probe when waiting longer cannot help (the server refuses our credentials). */
export class SetupRejected extends Error {}

export interface ReadinessWait {
  /**
   * True once the server answers as ready, false while it answers as still starting; throws when
   * nothing answers, or SetupRejected to stop waiting at once.
   */
  probe(): Promise<boolean>;
  /** A reason to give up now (the process exited, the instance is being stopped), or undefined. */
  giveUp(): string | undefined;
  timeoutMs: number;
  /**
   * Gives up after this long if nothing has answered at all. For a server reached by URL: it is
   * either running or mistyped, and waiting the full setup time for it would only hide that. A
   * started server may load its model before it listens (vLLM does), so it has no such limit.
   */
  unreachableAfterMs?: number;
  /** What is polled, for messages (`http://host:8000/v1/models`). */
  where: string;
}

/** Polls until the server is ready; resolves with the seconds it took, rejects with the reason it never became ready. */
export async function waitUntilReady(wait: ReadinessWait): Promise<number> {
  const started = Date.now();
  let answered = false;
  for (;;) {
    const reason = wait.giveUp();
    if (reason) throw new Error(reason);
    if (Date.now() - started > wait.timeoutMs) throw new Error(`setup timed out after ${Math.round(wait.timeoutMs / 1000)}s`);
    try {
      if (await wait.probe()) return (Date.now() - started) / 1000;
      answered = true;
    } catch (err) {
      if (err instanceof SetupRejected) throw err;
      if (!answered && wait.unreachableAfterMs !== undefined && Date.now() - started > wait.unreachableAfterMs) {
        throw new Error(`nothing answered at ${wait.where} for ${Math.round(wait.unreachableAfterMs / 1000)}s (${fetchFailure(err)})`);
      }
    }
    await new Promise((r) => setTimeout(r, bootPollMs(Date.now() - started)));
  }
}
