/**
 * Deployments (Replicate API): a name for a model version on chosen hardware with min/max
 * instances. Every change is a numbered release. Gantry adds the live `instances` and the cost so
 * far (predictions plus the setup and idle time of its instances) to the deployment object.
 */
import type { FastifyInstance } from 'fastify';
import { conflict, invalid, notFound, type FieldError } from '../core/errors';
import { findSku } from '../core/hardware';
import { isValidName } from '../core/prediction';
import { requestCancel } from '../store/predictions';
import { getModel, getVersion, type VersionRow } from '../store/catalog';
import {
  deleteDeployment,
  deploymentCost,
  getDeployment,
  insertDeployment,
  listDeployments,
  liveInstances,
  openPredictionsOf,
  updateDeployment,
  type DeploymentConfig,
  type DeploymentRow,
} from '../store/deployments';
import type { ApiContext } from './context';
import { checkCommonFields, createPrediction, type CreateBody } from './create-prediction';
import { decodeCursor, page, PAGE_SIZE } from './paginate';
import { instanceWire, requireServableHardware } from './cluster';

/** The account that owns everything on this engine (GET /v1/account). */
export const OWNER = 'gantry';
/** Upper bound for min/max instances (Replicate allows 5 and 20; a self-hosted cluster may want more). */
export const MAX_INSTANCES = 100;

const CREATE_KEYS = ['name', 'model', 'version', 'hardware', 'min_instances', 'max_instances', 'max_queue'];
const UPDATE_KEYS = ['version', 'hardware', 'min_instances', 'max_instances', 'max_queue'];
/** Upper bound for a deployment's max_queue (a queue limit, not a way to store work without bound). */
export const MAX_QUEUE_LIMIT = 1_000_000;
const PREDICTION_FIELDS = ['input', 'webhook', 'webhook_events_filter', 'tags', 'stream'];

const round = (x: number) => Math.round(x * 1e9) / 1e9;

async function deploymentWire(ctx: ApiContext, d: DeploymentRow) {
  const full = `${d.owner}/${d.name}`;
  const [instances, costs] = await Promise.all([liveInstances(ctx.db, full), deploymentCost(ctx.db, full, d.created_at)]);
  const breakdown: Record<string, { count: number; quantity: number; total_usd: number }> = {
    prediction: { count: 0, quantity: 0, total_usd: 0 },
    setup: { count: 0, quantity: 0, total_usd: 0 },
    idle: { count: 0, quantity: 0, total_usd: 0 },
  };
  for (const c of costs) breakdown[c.kind] = { count: c.count, quantity: round(c.quantity), total_usd: round(c.total_usd) };
  return {
    owner: d.owner,
    name: d.name,
    current_release: {
      number: d.release_number,
      model: d.model,
      version: d.version,
      created_at: d.release_created_at.toISOString(),
      created_by: { type: 'organization', username: OWNER, name: 'Gantry' },
      // max_queue is Gantry's (backpressure), shown when set; Replicate's configuration has the other three.
      configuration: { hardware: d.hardware, min_instances: d.min_instances, max_instances: d.max_instances, ...(d.max_queue !== null ? { max_queue: d.max_queue } : {}) },
    },
    created_at: d.created_at.toISOString(),
    instances: instances.map((i) => {
      const { id, state, devices, since, worker_id, hardware, version, setup_time, fetch_time, boot_time, artifact_cache, last_used_at, error } = instanceWire(i);
      return { id, state, devices, since, worker_id, hardware, version, setup_time, fetch_time, boot_time, artifact_cache, last_used_at, error };
    }),
    cost_so_far_usd: round(costs.reduce((sum, c) => sum + c.total_usd, 0)),
    cost_breakdown: breakdown,
  };
}

function body(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid([{ pointer: '', detail: 'the body must be a JSON object' }]);
  return raw as Record<string, unknown>;
}

function checkCount(b: Record<string, unknown>, key: 'min_instances' | 'max_instances', errors: FieldError[]): number | undefined {
  const v = b[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_INSTANCES) {
    errors.push({ pointer: `/${key}`, detail: `must be an integer from 0 to ${MAX_INSTANCES}` });
    return undefined;
  }
  return v;
}

/** The version's requirements must fit the chosen hardware. */
function checkFit(version: VersionRow, hardware: string, errors: FieldError[]): void {
  const sku = findSku(hardware);
  if (!sku) return;
  if (version.gpu_count && version.gpu_count > sku.gpuCount) {
    errors.push({ pointer: '/hardware', detail: `${hardware} has ${sku.gpuCount} GPU(s); the version needs ${version.gpu_count}` });
  } else if (version.gpu_memory_gb && version.gpu_memory_gb > sku.gpuMemoryGb * Math.max(sku.gpuCount, version.gpu_count ?? 1)) {
    errors.push({ pointer: '/hardware', detail: `${hardware} has ${sku.gpuMemoryGb} GB per GPU; the version needs ${version.gpu_memory_gb} GB` });
  }
}

/**
 * Reads and checks the body fields that are present. `keys` are the fields allowed. Returns the
 * version row when a version was given (checked to belong to `model`).
 */
async function readFields(ctx: ApiContext, b: Record<string, unknown>, keys: string[], model: string | undefined, errors: FieldError[]) {
  for (const k of Object.keys(b)) if (!keys.includes(k)) errors.push({ pointer: `/${k}`, detail: 'is not a recognised field' });
  let version: VersionRow | undefined;
  if (b.version !== undefined) {
    if (typeof b.version !== 'string' || !/^[0-9a-f]{64}$/.test(b.version)) {
      errors.push({ pointer: '/version', detail: 'must be a 64-character version id' });
    } else if (model) {
      version = await getVersion(ctx.db, b.version);
      if (!version) errors.push({ pointer: '/version', detail: `version ${b.version} does not exist` });
      else if (`${version.owner}/${version.name}` !== model) {
        errors.push({ pointer: '/version', detail: `version ${b.version} is a version of ${version.owner}/${version.name}, not ${model}` });
        version = undefined;
      }
    }
  }
  let hardware: string | undefined;
  if (b.hardware !== undefined) {
    if (typeof b.hardware !== 'string' || !findSku(b.hardware)) errors.push({ pointer: '/hardware', detail: 'must be a hardware SKU (see GET /v1/hardware)' });
    else hardware = b.hardware;
  }
  const min = checkCount(b, 'min_instances', errors);
  const max = checkCount(b, 'max_instances', errors);
  let maxQueue: number | null | undefined;
  if (b.max_queue === null) maxQueue = null;
  else if (b.max_queue !== undefined) {
    const v = b.max_queue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_QUEUE_LIMIT) {
      errors.push({ pointer: '/max_queue', detail: `must be an integer from 0 to ${MAX_QUEUE_LIMIT}, or null for no limit` });
    } else maxQueue = v;
  }
  return { version, hardware, min, max, maxQueue };
}

function checkRange(c: DeploymentConfig, errors: FieldError[]): void {
  if (c.min_instances > c.max_instances) {
    errors.push({ pointer: '/min_instances', detail: `must not exceed max_instances (${c.min_instances} > ${c.max_instances})` });
  }
}

/**
 * Cancels what a deployment has in flight (it was deleted or disabled: nothing would run it).
 * Queued predictions are canceled here; running ones are flagged and their worker stops them.
 */
async function cancelInFlight(ctx: ApiContext, deployment: string, why: string): Promise<void> {
  for (const p of await openPredictionsOf(ctx.db, deployment)) {
    if (p.status === 'starting') {
      await ctx.lifecycle.endWithoutRun({ id: p.id, created_at: p.created_at, hardware: p.hardware }, { status: 'canceled', logs: `canceled: ${why}\n` });
    } else {
      await requestCancel(ctx.db, p.id);
    }
  }
}

async function requireDeployment(ctx: ApiContext, owner: string, name: string): Promise<DeploymentRow> {
  const d = await getDeployment(ctx.db, owner, name);
  if (!d) throw notFound(`Deployment ${owner}/${name}`);
  return d;
}

export function deploymentRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { cursor?: string } }>('/v1/deployments', async (req) => {
    const cursor = decodeCursor<{ createdAt: string; key: string }>(req.query.cursor, ['createdAt', 'key']);
    const rows = await listDeployments(ctx.db, PAGE_SIZE + 1, cursor);
    const results = rows.slice(0, PAGE_SIZE);
    const last = results[results.length - 1];
    const next = rows.length > PAGE_SIZE && last ? { createdAt: last.cursor_at, key: `${last.owner}/${last.name}` } : undefined;
    return page(await Promise.all(results.map((d) => deploymentWire(ctx, d))), ctx.publicUrl, '/v1/deployments', next);
  });

  app.post('/v1/deployments', async (req, reply) => {
    const b = body(req.body);
    const errors: FieldError[] = [];
    if (typeof b.name !== 'string' || !isValidName(b.name)) errors.push({ pointer: '/name', detail: 'is required: letters, digits, ".", "_" or "-" (at most 100)' });
    let model: string | undefined;
    if (typeof b.model !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(b.model)) {
      errors.push({ pointer: '/model', detail: 'is required: "owner/name" of a model' });
    } else {
      const [owner, name] = b.model.split('/');
      if (!(await getModel(ctx.db, owner, name))) errors.push({ pointer: '/model', detail: `model ${b.model} does not exist` });
      else model = b.model;
    }
    if (b.version === undefined) errors.push({ pointer: '/version', detail: 'is required: a 64-character version id of the model' });
    const f = await readFields(ctx, b, CREATE_KEYS, model, errors);
    if (errors.length === 0 && f.version) {
      const min = f.min ?? 0;
      const config: DeploymentConfig = {
        model: model!,
        version: f.version.id,
        hardware: f.hardware ?? f.version.hardware,
        min_instances: min,
        max_instances: f.max ?? Math.max(1, min),
        max_queue: f.maxQueue ?? null,
      };
      checkRange(config, errors);
      checkFit(f.version, config.hardware, errors);
      if (errors.length === 0) {
        const row = await insertDeployment(ctx.db, OWNER, b.name as string, config);
        if (!row) throw conflict(`Deployment ${OWNER}/${b.name} already exists.`);
        // Replicate answers a created deployment with 200.
        return reply.code(200).send(await deploymentWire(ctx, row));
      }
    }
    throw invalid(errors);
  });

  app.get<{ Params: { owner: string; name: string } }>('/v1/deployments/:owner/:name', async (req) => {
    return deploymentWire(ctx, await requireDeployment(ctx, req.params.owner, req.params.name));
  });

  app.patch<{ Params: { owner: string; name: string } }>('/v1/deployments/:owner/:name', async (req) => {
    const { owner, name } = req.params;
    const current = await requireDeployment(ctx, owner, name);
    const b = body(req.body);
    const errors: FieldError[] = [];
    const f = await readFields(ctx, b, UPDATE_KEYS, current.model, errors);
    if (errors.length) throw invalid(errors);
    // The version whose requirements the (possibly new) hardware must meet.
    const fitVersion = f.version ?? (f.hardware ? await getVersion(ctx.db, current.version) : undefined);
    const row = await updateDeployment(ctx.db, owner, name, (now) => {
      const next: DeploymentConfig = {
        model: now.model,
        version: f.version?.id ?? now.version,
        hardware: f.hardware ?? now.hardware,
        min_instances: f.min ?? now.min_instances,
        max_instances: f.max ?? now.max_instances,
        max_queue: f.maxQueue === undefined ? now.max_queue : f.maxQueue,
      };
      const errs: FieldError[] = [];
      checkRange(next, errs);
      if (fitVersion && fitVersion.id === next.version) checkFit(fitVersion, next.hardware, errs);
      if (errs.length) throw invalid(errs);
      return next;
    });
    if (!row) throw notFound(`Deployment ${owner}/${name}`);
    // Like Replicate, max_instances 0 disables the deployment and cancels what is in flight.
    if (row.max_instances === 0 && current.max_instances !== 0) await cancelInFlight(ctx, `${owner}/${name}`, 'the deployment was disabled (max_instances 0)');
    return deploymentWire(ctx, row);
  });

  // Deleting is allowed at any time (Replicate requires a deployment to be offline for 15 min):
  // its predictions still in flight are canceled, and workers stop its instances once it is gone.
  app.delete<{ Params: { owner: string; name: string } }>('/v1/deployments/:owner/:name', async (req, reply) => {
    const { owner, name } = req.params;
    if (!(await deleteDeployment(ctx.db, owner, name))) throw notFound(`Deployment ${owner}/${name}`);
    await cancelInFlight(ctx, `${owner}/${name}`, 'the deployment was deleted');
    return reply.code(204).send();
  });

  app.post<{ Params: { owner: string; name: string }; Body: CreateBody }>('/v1/deployments/:owner/:name/predictions', async (req, reply) => {
    const d = await requireDeployment(ctx, req.params.owner, req.params.name);
    const fields = checkCommonFields(body(req.body) as CreateBody, PREDICTION_FIELDS);
    if (d.max_instances === 0) {
      throw conflict(`Deployment ${d.owner}/${d.name} is disabled (max_instances is 0); raise max_instances to run predictions.`);
    }
    const version = await getVersion(ctx.db, d.version);
    if (!version) throw conflict(`The version of deployment ${d.owner}/${d.name} (${d.version}) was deleted; update the deployment.`);
    // Fail fast rather than queue work no worker can take.
    await requireServableHardware(ctx, d.hardware);
    return createPrediction(ctx, req, reply, { kind: 'prediction', version, deployment: `${d.owner}/${d.name}`, hardware: d.hardware, maxQueue: d.max_queue, fields });
  });
}
