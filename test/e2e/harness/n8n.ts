/**
 * A real n8n for end-to-end tests: the runtime from provision.sh (Node 24 + an n8n version,
 * cached outside the repository), a fresh user folder with this package installed from the
 * tarball `npm pack` makes, its CLI (`import:*`, publishing, `execute`) and its server
 * (`n8n start`) on free loopback ports, read back through its public API. Stopped by PID.
 * In queue mode (queue-mode.ts) it runs on Postgres and Redis, and `n8n worker` processes run the
 * executions. Works with n8n 2.x and 1.x; where they differ (publishing, owner setup) it says so.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { N8nProcess } from './n8n-process';
import { queueModeEnv, type QueueMode } from './queue-mode';

const REPO = join(__dirname, '..', '..', '..');
export const OWNER = { email: 'owner@example.com', password: 'E2e-owner-Passw0rd' };

export interface Runtime {
  nodeDir: string;
  n8nDir: string;
  /** The installed n8n's version, e.g. "2.41.1". */
  version: string;
}

/** Runs provision.sh for an n8n version (a no-op once cached) and returns where Node 24 and n8n are. */
export function provision(n8nVersion: string): Runtime {
  const out = execFileSync('bash', [join(__dirname, '..', 'provision.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, GANTRY_E2E_N8N_VERSION: n8nVersion },
  });
  const read = (key: string) => {
    const m = new RegExp(`^${key}=(.+)$`, 'm').exec(out);
    if (!m) throw new Error(`provision.sh did not print ${key}:\n${out}`);
    return m[1].trim();
  };
  const n8nDir = read('N8N_DIR');
  const { version } = JSON.parse(readFileSync(join(n8nDir, 'node_modules', 'n8n', 'package.json'), 'utf8')) as { version: string };
  return { nodeDir: read('NODE24_DIR'), n8nDir, version };
}

/** The n8n versions a run tests: both majors, or those in GANTRY_E2E_N8N_VERSIONS ("2.41.1", "2.41.1 1.123.81"). */
export function e2eVersions(): string[] {
  return (process.env.GANTRY_E2E_N8N_VERSIONS ?? '2.41.1 1.123.81').split(/[\s,]+/).filter(Boolean);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** `npm pack` of the repository (built beforehand by `npm run build`), into a temp dir. */
export function packPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-pack-'));
  const name = execFileSync('npm', ['pack', REPO, '--pack-destination', dir, '--silent'], { encoding: 'utf8', cwd: dir })
    .trim()
    .split('\n')
    .pop()!;
  return join(dir, name);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface N8nOptions {
  /** Run in queue mode on this database and Redis prefix: executions go to `startWorker()`'s workers. */
  queue?: QueueMode;
}

export class N8n {
  readonly userFolder = mkdtempSync(join(tmpdir(), 'gantry-n8n-'));
  readonly url: string;
  private server?: N8nProcess;
  private readonly workers: Array<{ process: N8nProcess; userFolder: string }> = [];
  private apiKey?: string;

  private constructor(
    private readonly runtime: Runtime,
    private readonly port: number,
    private readonly brokerPort: number,
    private readonly options: N8nOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** A fresh instance (nothing running yet) with the package tarball installed as a community node. */
  static async create(runtime: Runtime, tarball: string, options: N8nOptions = {}): Promise<N8n> {
    const n8n = new N8n(runtime, await freePort(), await freePort(), options);
    n8n.installPackage(tarball);
    return n8n;
  }

  /** n8n's major version: 2.x publishes workflows, 1.x activates them. */
  get major(): number {
    return Number(this.runtime.version.split('.')[0]);
  }

  private get bin(): string {
    return join(this.runtime.n8nDir, 'node_modules', 'n8n', 'bin', 'n8n');
  }

  private env(): NodeJS.ProcessEnv {
    // Not jest's NODE_ENV=test, which changes how n8n's CLI behaves.
    const { NODE_ENV: _jestNodeEnv, ...inherited } = process.env;
    return {
      ...inherited,
      NODE_ENV: 'production',
      PATH: `${join(this.runtime.nodeDir, 'bin')}:${process.env.PATH}`,
      N8N_USER_FOLDER: this.userFolder,
      N8N_ENCRYPTION_KEY: 'gantry-e2e-encryption-key',
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      N8N_PORT: String(this.port),
      N8N_RUNNERS_BROKER_PORT: String(this.brokerPort),
      WEBHOOK_URL: `${this.url}/`,
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      N8N_PERSONALIZATION_ENABLED: 'false',
      // The default isolated-vm engine of 2.x makes `n8n execute` segfault on exit here (reference §5.2).
      N8N_EXPRESSION_ENGINE: 'legacy',
      // 2.x creates the owner from these at boot; 1.x ignores them (see setUpOwner).
      N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
      N8N_INSTANCE_OWNER_EMAIL: OWNER.email,
      N8N_INSTANCE_OWNER_PASSWORD_HASH: this.passwordHash(),
      N8N_INSTANCE_OWNER_FIRST_NAME: 'E2E',
      N8N_INSTANCE_OWNER_LAST_NAME: 'Owner',
      ...(this.options.queue ? queueModeEnv(this.options.queue) : {}),
    };
  }

  /**
   * The environment of a long-running process. In queue mode its log is JSON lines at debug
   * level, so a test can tell which process executed which workflow's nodes (`logEntries`).
   */
  private serverEnv(): NodeJS.ProcessEnv {
    return this.options.queue ? { ...this.env(), N8N_LOG_FORMAT: 'json', N8N_LOG_LEVEL: 'debug' } : this.env();
  }

  private hash?: string;
  private passwordHash(): string {
    this.hash ??= execFileSync(
      join(this.runtime.nodeDir, 'bin', 'node'),
      ['-e', `process.stdout.write(require('bcryptjs').hashSync(${JSON.stringify(OWNER.password)}, 10))`],
      { cwd: this.runtime.n8nDir, encoding: 'utf8' },
    );
    return this.hash;
  }

  /**
   * Installs the tarball the way n8n installs community packages: `npm install` in
   * `<user folder>/.n8n/nodes`. The peer `n8n-workflow` then resolves to n8n's own copy (linked
   * after the install, which would otherwise prune it).
   */
  private installPackage(tarball: string): void {
    const nodesDir = join(this.userFolder, '.n8n', 'nodes');
    mkdirSync(nodesDir, { recursive: true });
    writeFileSync(join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true }));
    execFileSync('npm', ['install', '--legacy-peer-deps', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
      cwd: nodesDir,
      env: this.env(),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    symlinkSync(join(this.runtime.n8nDir, 'node_modules', 'n8n-workflow'), join(nodesDir, 'node_modules', 'n8n-workflow'));
  }

  installedPackages(): string[] {
    return readdirSync(join(this.userFolder, '.n8n', 'nodes', 'node_modules'));
  }

  /** Runs the n8n CLI (never while the server runs: they would share the task broker port). */
  cli(args: string[], timeoutMs = 300_000): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(this.bin, args, { env: this.env(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      });
    });
  }

  private async cliOk(args: string[]): Promise<string> {
    const result = await this.cli(args);
    if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  async importCredential(credential: { id: string; name: string; type: string; data: Record<string, unknown> }): Promise<void> {
    const file = join(this.userFolder, `credential-${credential.id}.json`);
    writeFileSync(file, JSON.stringify([credential]));
    await this.cliOk(['import:credentials', `--input=${file}`]);
  }

  async importWorkflow(workflow: { id: string }): Promise<void> {
    const file = join(this.userFolder, `workflow-${workflow.id}.json`);
    writeFileSync(file, JSON.stringify(workflow));
    await this.cliOk(['import:workflow', `--input=${file}`]);
  }

  /** Makes a trigger workflow live at the next start: `publish:workflow` (2.x), `update:workflow --active=true` (1.x). */
  async publish(workflowId: string): Promise<void> {
    if (this.major >= 2) await this.cliOk(['publish:workflow', `--id=${workflowId}`]);
    else await this.cliOk(['update:workflow', `--id=${workflowId}`, '--active=true']);
  }

  /** Takes a live workflow down through the public API (its triggers' webhooks are deleted). */
  async unpublish(workflowId: string): Promise<void> {
    await this.api(`/workflows/${workflowId}/${this.major >= 2 ? 'unpublish' : 'deactivate'}`, 'POST');
  }

  /** `n8n execute --id`: runs a manual workflow in-process and returns its IRun. */
  async execute(workflowId: string): Promise<Execution> {
    const result = await this.cli(['execute', `--id=${workflowId}`, '--rawOutput']);
    // --rawOutput prints log lines (task broker, runners) before the IRun JSON object.
    const start = result.stdout.search(/^\{/m);
    if (start < 0) throw new Error(`n8n execute printed no result (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(result.stdout.slice(start)) as Execution;
  }

  async start(): Promise<void> {
    // Ready when the editor is served, which n8n logs after published workflows are activated
    // (their trigger webhooks registered).
    this.server = await N8nProcess.start('n8n start', this.bin, ['start'], this.serverEnv(), /Editor is now accessible/);
    const res = await fetch(`${this.url}/healthz`);
    if (!res.ok) throw new Error(`n8n /healthz answered ${res.status}`);
    if (this.major < 2) await this.setUpOwner();
  }

  /**
   * Starts an `n8n worker` (queue mode only) that takes executions off the Redis queue. It gets a
   * user folder of its own, as a worker on another host would: a shared one would make it read
   * main's crash journal as a crash of its own. Its community nodes are main's (a symlink).
   */
  async startWorker(): Promise<void> {
    if (!this.options.queue) throw new Error('startWorker() needs an N8n created in queue mode');
    const userFolder = mkdtempSync(join(tmpdir(), 'gantry-n8n-worker-'));
    mkdirSync(join(userFolder, '.n8n'));
    symlinkSync(join(this.userFolder, '.n8n', 'nodes'), join(userFolder, '.n8n', 'nodes'));
    // Its own task-runner broker port: main's is taken.
    const env = { ...this.serverEnv(), N8N_USER_FOLDER: userFolder, N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
    try {
      const worker = await N8nProcess.start(`n8n worker ${this.workers.length + 1}`, this.bin, ['worker'], env, /n8n worker is now ready/);
      this.workers.push({ process: worker, userFolder });
    } catch (error) {
      rmSync(userFolder, { recursive: true, force: true });
      throw error;
    }
  }

  /** 1.x has no owner-from-environment: the owner is created through the setup endpoint the UI uses. */
  private async setUpOwner(): Promise<void> {
    const res = await fetch(`${this.url}/rest/owner/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: OWNER.email, password: OWNER.password, firstName: 'E2E', lastName: 'Owner' }),
    });
    // 400 once an owner exists (a second start on the same user folder).
    if (!res.ok && res.status !== 400) throw new Error(`n8n owner setup failed: ${res.status} ${await res.text()}`);
  }

  /** What the main process (`n8n start`) printed so far. */
  log(): string {
    return this.server?.log() ?? '';
  }

  /** What the `index`th worker printed so far ('' for a worker never started). */
  workerLog(index = 0): string {
    return this.workers[index]?.process.log() ?? '';
  }

  /** Stops the workers, then the server, by PID (SIGTERM, SIGKILL after 20 s). */
  async stop(): Promise<void> {
    for (const worker of this.workers) await worker.process.stop();
    await this.server?.stop();
  }

  async remove(): Promise<void> {
    await this.stop();
    for (const worker of this.workers) rmSync(worker.userFolder, { recursive: true, force: true });
    rmSync(this.userFolder, { recursive: true, force: true });
  }

  private cookie?: string;

  /** The owner's session cookie (what the editor uses). */
  private async session(): Promise<string> {
    if (this.cookie) return this.cookie;
    const login = await fetch(`${this.url}/rest/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
    });
    if (!login.ok) throw new Error(`n8n login failed: ${login.status} ${await login.text()}`);
    this.cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    return this.cookie;
  }

  /** The editor's own REST API (not a stable interface; used where the public API differs between majors). */
  async rest<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}/rest${path}`, { headers: { cookie: await this.session() } });
    if (!res.ok) throw new Error(`n8n REST ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** A public-API key for the owner: log in, then create a key with read scopes. */
  private async key(): Promise<string> {
    if (this.apiKey) return this.apiKey;
    const cookie = await this.session();
    const created = await fetch(`${this.url}/rest/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({
        label: `e2e-${randomBytes(4).toString('hex')}`,
        scopes: ['execution:read', 'execution:list', 'workflow:read', 'workflow:list', 'workflow:activate', 'workflow:deactivate'],
        expiresAt: null,
      }),
    });
    if (!created.ok) throw new Error(`n8n API key creation failed: ${created.status} ${await created.text()}`);
    this.apiKey = ((await created.json()) as { data: { rawApiKey: string } }).data.rawApiKey;
    return this.apiKey;
  }

  async api<T>(path: string, method = 'GET'): Promise<T> {
    const res = await fetch(`${this.url}/api/v1${path}`, { method, headers: { 'X-N8N-API-KEY': await this.key() } });
    if (!res.ok) throw new Error(`n8n API ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** The workflow's executions, newest first (optionally of one status). */
  async executions(workflowId: string, status?: string): Promise<ExecutionSummary[]> {
    const filter = status ? `&status=${status}` : '';
    return (await this.api<{ data: ExecutionSummary[] }>(`/executions?workflowId=${workflowId}&includeData=true&limit=50${filter}`)).data;
  }

  /**
   * The workflow's executions parked as `waiting`: from the public API on 2.x; 1.x's public API
   * does not list them, so there from the editor's execution list.
   */
  async waitingExecutions(workflowId: string): Promise<Array<{ id: string; status: string; waitTill: string | null }>> {
    if (this.major >= 2) return await this.executions(workflowId, 'waiting');
    const filter = encodeURIComponent(JSON.stringify({ workflowId, status: ['waiting'] }));
    const page = await this.rest<{ data: { results: Array<{ id: string; status: string; waitTill: string | null }> } }>(`/executions?filter=${filter}`);
    return page.data.results.filter((e) => e.status === 'waiting');
  }

  /** Polls the public API until `predicate` holds for the workflow's executions. */
  async waitForExecutions(workflowId: string, predicate: (list: ExecutionSummary[]) => boolean, timeoutMs = 60_000): Promise<ExecutionSummary[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await this.executions(workflowId);
      if (predicate(list)) return list;
      if (Date.now() > deadline) throw new Error(`executions of ${workflowId} never matched: ${JSON.stringify(list.map((e) => [e.id, e.status]))}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

export interface NodeRun {
  data?: { main: Array<Array<{ json: Record<string, any>; binary?: Record<string, any> }> | null> };
  error?: { message: string };
}

export interface Execution {
  status: string;
  finished: boolean;
  data: { resultData: { runData: Record<string, NodeRun[]>; error?: { message: string }; lastNodeExecuted?: string } };
}

export interface ExecutionSummary extends Execution {
  id: string;
  workflowId: string;
  mode: string;
  waitTill: string | null;
}

/** The JSON of every item a node output on its first output, in its last run. */
export function nodeOutput(execution: Execution, node: string): Array<Record<string, any>> {
  const runs = execution.data.resultData.runData[node];
  if (!runs?.length) throw new Error(`node "${node}" did not run; ran: ${Object.keys(execution.data.resultData.runData).join(', ')}`);
  const run = runs[runs.length - 1];
  if (run.error) throw new Error(`node "${node}" failed: ${run.error.message}`);
  return (run.data?.main[0] ?? []).map((item) => item.json);
}

export interface LogEntry {
  level: string;
  message: string;
  metadata: Record<string, any>;
}

/** The entries of a log written with N8N_LOG_FORMAT=json (one JSON object a line; other lines skipped). */
export function logEntries(log: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as Partial<LogEntry>;
      if (typeof entry.message === 'string') entries.push({ level: String(entry.level), message: entry.message, metadata: entry.metadata ?? {} });
    } catch {
      // A task runner's or npm's output line that happens to start with "{".
    }
  }
  return entries;
}

/**
 * With GANTRY_E2E_KEEP_LOGS=<dir>, writes each process's output to `<dir>/<run>.<process>.log`
 * (for reading after a failed run: assertions show results, not n8n's logs). Otherwise a no-op.
 */
export function keepLogs(run: string, logs: Record<string, string | undefined>): void {
  const dir = process.env.GANTRY_E2E_KEEP_LOGS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(logs)) writeFileSync(join(dir, `${run}.${name}.log`), text ?? '');
}
