/** Shared test setup: a real engine (test/helpers/engine.ts) and the in-process n8n harness. */
import { api, startEngine, type EngineHandle } from '../../helpers/engine';
import { N8nHarness, PKG, type WorkflowDef } from './n8n';

export { N8nHarness, PKG };

export interface Env {
  engine: EngineHandle;
  n8n: N8nHarness;
  api: ReturnType<typeof api>;
}

export async function setup(opts: { env?: Record<string, string> } = {}): Promise<Env> {
  const [engine, n8n] = await Promise.all([startEngine(opts), N8nHarness.start()]);
  n8n.credentials.gantryApi = { baseUrl: engine.url, apiToken: engine.token };
  return { engine, n8n, api: api(engine) };
}

export async function teardown(env: Env | undefined): Promise<void> {
  if (!env) return;
  await Promise.all([env.engine.stop(), env.n8n.stop()]);
}

/** A one-node workflow. */
export function single(type: string, parameters: Record<string, unknown>, name = 'Node', extra: Record<string, unknown> = {}): WorkflowDef {
  return { nodes: [{ name, type: `${PKG}.${type}`, parameters: parameters as never, ...extra }] };
}

export function runModel(parameters: Record<string, unknown>, name = 'Run Model', extra: Record<string, unknown> = {}): WorkflowDef {
  return single('gantryRunModel', { operation: 'run', source: 'model', version: '', inputMode: 'json', ...parameters }, name, extra);
}

export const modelRef = (value: string) => ({ __rl: true, mode: 'id', value });
