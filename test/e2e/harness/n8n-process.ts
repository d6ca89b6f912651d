/**
 * One long-running n8n process (`n8n start`, `n8n worker`): spawned with the harness's
 * environment, its output kept for assertions and failure messages, stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export class N8nProcess {
  private readonly output: string[] = [];

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (c: Buffer) => this.output.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => this.output.push(c.toString()));
  }

  /** Spawns `bin args…` and resolves once its output matches `ready` (rejects if it exits first). */
  static async start(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 120_000): Promise<N8nProcess> {
    const proc = new N8nProcess(name, spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    const deadline = Date.now() + timeoutMs;
    while (!ready.test(proc.log())) {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited with ${proc.child.exitCode}:\n${proc.log()}`);
      if (Date.now() > deadline) {
        await proc.stop();
        throw new Error(`${name} did not start in time:\n${proc.log()}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return proc;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  log(): string {
    return this.output.join('');
  }

  /** SIGTERM, SIGKILL after 20 s; a no-op once it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  }
}
