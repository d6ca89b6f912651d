/**
 * A Cog server started from a command template, e.g.
 * `docker run --rm --gpus '"device={gpus}"' -p 127.0.0.1:{port}:5000 {image}`.
 * Placeholders: {port} (a free local port the server must listen on), {gpus} (the devices the
 * placement chose, as CUDA_VISIBLE_DEVICES reads them; empty on CPU), {image}, {weights} (the
 * version's weights directory or URL; empty when it has none). The command runs under `sh -c` in
 * its own process group, so stopping it reaches whatever it started (docker's client included).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface CogCommandVars {
  gpus: string;
  image?: string;
  weights?: string;
}

const MAX_LOG_LINES = 200;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function fillTemplate(template: string, vars: CogCommandVars & { port: number }): string {
  return template
    .replaceAll('{port}', String(vars.port))
    .replaceAll('{gpus}', vars.gpus)
    .replaceAll('{image}', vars.image ?? '')
    .replaceAll('{weights}', vars.weights ?? '');
}

export class CogProcess {
  /** Why the process ended, once it has. */
  exitReason?: string;
  /** Called once when the process ends, whatever the cause. */
  onExit: (reason: string) => void = () => undefined;

  private constructor(
    readonly base: string,
    private readonly child: ChildProcess,
    lines: string[],
  ) {
    const capture = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(line);
      if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    child.on('exit', (code, signal) => {
      this.exitReason = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.onExit(this.exitReason);
    });
  }

  /** Starts the command on a free port; `lines` receives what it prints (bounded). */
  static async launch(template: string, vars: CogCommandVars, lines: string[]): Promise<CogProcess> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, CUDA_VISIBLE_DEVICES: vars.gpus };
    // Cog hands COG_WEIGHTS to setup(); a command that runs the server directly gets it as is.
    if (vars.weights) env.COG_WEIGHTS = vars.weights;
    const child = spawn('sh', ['-c', fillTemplate(template, { ...vars, port })], { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new CogProcess(`http://127.0.0.1:${port}`, child, lines);
  }

  get running(): boolean {
    return this.exitReason === undefined;
  }

  /** Resolves when the process has ended, or after `ms` (whichever is first). */
  waitExit(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** SIGTERM to the whole process group, SIGKILL after `graceMs`. */
  async kill(graceMs: number): Promise<void> {
    const pid = this.child.pid;
    if (!pid) return;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        // the group is already gone
      }
    };
    if (this.running) {
      signal('SIGTERM');
      await this.waitExit(graceMs);
    }
    // The sh may be gone while something it started lingers in the group: always finish it off.
    signal('SIGKILL');
    await this.waitExit(1000);
  }
}
