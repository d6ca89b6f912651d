/**
 * The body of POST /v1/checks, checked field by field: every problem is a 422 naming the field.
 * Resolving names (does the model exist?) is the API's job; this is pure.
 */
import { invalid, type FieldError } from '../core/errors';
import { findSku } from '../core/hardware';
import { parseCancelAfter } from '../core/durations';
import { parseVersionRef } from '../core/prediction';
import { parseEventsFilter, webhookUrlProblem, WebhookValidationError } from '../webhooks/events';
import type { CheckRequest } from './types';

export const RUNS = { min: 2, max: 20, default: 5 } as const;
export const DEFAULT_TIMEOUT_S = 60;
export const MAX_TIMEOUT_S = 3600;
const MAX_HARDWARE = 10;
const MAX_MARKED = 5;
const FIELDS = ['model', 'deployment', 'input', 'runs', 'hardware', 'compare_with', 'worst_case', 'timeout', 'webhook', 'webhook_events_filter'];

export interface ModelRef {
  owner: string;
  name: string;
  version?: string;
}

/** `owner/name` or `owner/name:<64-hex version>`. */
export function parseModelRef(value: unknown): ModelRef | undefined {
  if (typeof value !== 'string') return undefined;
  const ref = parseVersionRef(value);
  if (!ref || !('owner' in ref)) return undefined;
  return { owner: ref.owner, name: ref.name, ...(ref.id ? { version: ref.id } : {}) };
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function timeoutSeconds(value: unknown, errors: FieldError[]): number {
  if (value === undefined || value === null) return DEFAULT_TIMEOUT_S;
  let seconds: number | undefined;
  try {
    seconds = parseCancelAfter(typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '!');
  } catch (err) {
    errors.push({ pointer: '/timeout', detail: (err as Error).message.replace(/^Cancel-After/, 'timeout') });
    return DEFAULT_TIMEOUT_S;
  }
  if (seconds === undefined || seconds > MAX_TIMEOUT_S) {
    errors.push({ pointer: '/timeout', detail: `must be a duration from 5s to ${MAX_TIMEOUT_S / 60}m, like "60s" or "5m"` });
    return DEFAULT_TIMEOUT_S;
  }
  return seconds;
}

function worstCase(value: unknown, errors: FieldError[]): CheckRequest['worst_case'] {
  if (value === undefined || value === null || value === true) return { from_schema: true, inputs: [] };
  if (value === false) return false;
  if (!isObject(value)) {
    errors.push({ pointer: '/worst_case', detail: 'must be true, false or { from_schema?: boolean, inputs?: [object] }' });
    return false;
  }
  for (const key of Object.keys(value)) {
    if (key !== 'from_schema' && key !== 'inputs') errors.push({ pointer: `/worst_case/${key}`, detail: 'is not a recognised field' });
  }
  const fromSchema = value.from_schema ?? true;
  if (typeof fromSchema !== 'boolean') errors.push({ pointer: '/worst_case/from_schema', detail: 'must be a boolean' });
  const inputs = value.inputs ?? [];
  if (!Array.isArray(inputs) || inputs.length > MAX_MARKED) {
    errors.push({ pointer: '/worst_case/inputs', detail: `must be a list of at most ${MAX_MARKED} input objects` });
    return false;
  }
  inputs.forEach((i, n) => {
    if (!isObject(i)) errors.push({ pointer: `/worst_case/inputs/${n}`, detail: 'must be an object (the input fields to change)' });
  });
  return { from_schema: fromSchema === true, inputs: inputs.filter(isObject) };
}

function hardwareList(value: unknown, errors: FieldError[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_HARDWARE) {
    errors.push({ pointer: '/hardware', detail: `must be a list of at most ${MAX_HARDWARE} hardware SKUs, e.g. ["cpu", "gpu-t4"]` });
    return [];
  }
  value.forEach((sku, i) => {
    if (typeof sku !== 'string' || !findSku(sku)) errors.push({ pointer: `/hardware/${i}`, detail: `${JSON.stringify(sku)} is not a known hardware SKU (GET /v1/hardware lists them)` });
    else if (value.indexOf(sku) !== i) errors.push({ pointer: `/hardware/${i}`, detail: `${sku} is listed twice` });
  });
  return value.filter((s): s is string => typeof s === 'string');
}

/** The request with defaults applied; throws a 422 listing every bad field. */
export function parseCheckRequest(raw: unknown): CheckRequest & { ref: ModelRef; compare: ModelRef | null; deploymentRef: ModelRef | null } {
  if (!isObject(raw)) throw invalid([{ pointer: '', detail: 'the body must be a JSON object' }]);
  const errors: FieldError[] = [];
  for (const key of Object.keys(raw)) if (!FIELDS.includes(key)) errors.push({ pointer: `/${key}`, detail: 'is not a recognised field' });
  const ref = parseModelRef(raw.model);
  if (!ref) errors.push({ pointer: '/model', detail: raw.model === undefined ? 'is required: owner/name or owner/name:version' : 'must be owner/name or owner/name:<64-character version id>' });
  let deploymentRef: ModelRef | null = null;
  if (raw.deployment !== undefined && raw.deployment !== null) {
    const d = parseModelRef(raw.deployment);
    if (!d || d.version) errors.push({ pointer: '/deployment', detail: 'must be owner/name of a deployment' });
    else deploymentRef = d;
  }
  if (!isObject(raw.input)) errors.push({ pointer: '/input', detail: raw.input === undefined ? 'is required' : 'must be an object' });
  const runs = raw.runs ?? RUNS.default;
  if (typeof runs !== 'number' || !Number.isInteger(runs) || runs < RUNS.min || runs > RUNS.max) {
    errors.push({ pointer: '/runs', detail: `must be an integer from ${RUNS.min} to ${RUNS.max}` });
  }
  let compare: ModelRef | null = null;
  if (raw.compare_with !== undefined && raw.compare_with !== null) {
    compare = parseModelRef(raw.compare_with) ?? null;
    if (!compare) errors.push({ pointer: '/compare_with', detail: 'must be owner/name or owner/name:<64-character version id>' });
  }
  let webhook: string | null = null;
  if (raw.webhook !== undefined && raw.webhook !== null) {
    const problem = webhookUrlProblem(raw.webhook);
    if (problem) errors.push({ pointer: '/webhook', detail: problem });
    else webhook = raw.webhook as string;
  }
  let filter: string[] | null = null;
  try {
    filter = parseEventsFilter(raw.webhook_events_filter);
  } catch (err) {
    if (!(err instanceof WebhookValidationError)) throw err;
    errors.push({ pointer: `/${err.field}`, detail: err.message });
  }
  const hardware = hardwareList(raw.hardware, errors);
  const worst = worstCase(raw.worst_case, errors);
  const timeout = timeoutSeconds(raw.timeout, errors);
  if (errors.length) throw invalid(errors);
  return {
    ref: ref!,
    compare,
    deploymentRef,
    model: `${ref!.owner}/${ref!.name}`,
    pinned_version: ref!.version ?? null,
    deployment: deploymentRef ? `${deploymentRef.owner}/${deploymentRef.name}` : null,
    input: raw.input as Record<string, unknown>,
    runs: runs as number,
    hardware,
    compare_with: typeof raw.compare_with === 'string' ? raw.compare_with : null,
    worst_case: worst,
    timeout_s: timeout,
    webhook,
    webhook_events_filter: filter,
  };
}
