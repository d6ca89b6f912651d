/**
 * A real n8n for end-to-end tests: the runtime from provision.sh (Node 24 + an n8n version,
 * cached outside the repository), a fresh user folder with this package installed from the
 * tarball `npm pack` makes, its CLI (`import:*`, publishing, `execute`) and its server
 * (`n8n start`) on free loopback ports, read back through its public API. Stopped by PID.
 * Works with n8n 2.x and 1.x; where they differ (publishing, owner setup) it says so.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

export class N8n {
  readonly userFolder = mkdtempSync(join(tmpdir(), 'gantry-n8n-'));
  readonly url: string;
  private server?: ChildProcess;
  private serverLog: string[] = [];
  private apiKey?: string;

  private constructor(
    private readonly runtime: Runtime,
    private readonly port: number,
    private readonly brokerPort: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** A fresh instance (nothing running yet) with the package tarball installed as a community node. */
  static async create(runtime: Runtime, tarball: string): Promise<N8n> {
    const n8n = new N8n(runtime, await freePort(), await freePort());
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
    };
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
    const child = spawn(this.bin, ['start'], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = child;
    child.stdout!.on('data', (c: Buffer) => this.serverLog.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => this.serverLog.push(c.toString()));
    const deadline = Date.now() + 120_000;
    // Ready when the editor is served and published workflows are activated (their trigger
    // webhooks registered): n8n logs the dependency index after activation.
    while (!/Editor is now accessible/.test(this.log())) {
      if (child.exitCode !== null) throw new Error(`n8n start exited with ${child.exitCode}:\n${this.log()}`);
      if (Date.now() > deadline) throw new Error(`n8n did not start in time:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const res = await fetch(`${this.url}/healthz`);
    if (!res.ok) throw new Error(`n8n /healthz answered ${res.status}`);
    if (this.major < 2) await this.setUpOwner();
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

  log(): string {
    return this.serverLog.join('');
  }

  /** Stops the server by PID: SIGTERM, SIGKILL after 20 s. */
  async stop(): Promise<void> {
    const child = this.server;
    this.server = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  }

  async remove(): Promise<void> {
    await this.stop();
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
