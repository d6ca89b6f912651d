/**
 * Replaying a trace from files: models one JSON object a line
 * (`{ "id", "sku", "setup_s", "predict_s", "artifact_gb", "max_concurrency" }`) and arrivals one a
 * line (`{ "t": seconds from start, "model": "id" }`, sorted by `t`). Every problem is reported
 * with its file, line and field; the first one ends the load.
 */
import { readFileSync } from 'node:fs';
import { getSku } from '../../engine/src/scheduler';
import type { Arrival, Model } from './trace';

export class TraceFileError extends Error {}

/** Non-blank lines with their 1-based numbers, each parsed as a JSON object. */
function objects(path: string): { line: number; value: Record<string, unknown> }[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TraceFileError(`${path}: cannot read: ${(err as Error).message}`);
  }
  const out: { line: number; value: Record<string, unknown> }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new TraceFileError(`${path}:${i + 1}: not JSON: ${(err as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TraceFileError(`${path}:${i + 1}: expected a JSON object`);
    out.push({ line: i + 1, value: value as Record<string, unknown> });
  });
  if (out.length === 0) throw new TraceFileError(`${path}: no lines`);
  return out;
}

function num(path: string, line: number, v: Record<string, unknown>, field: string, check: (n: number) => boolean, what: string): number {
  const n = v[field];
  if (typeof n !== 'number' || !Number.isFinite(n) || !check(n)) throw new TraceFileError(`${path}:${line}: field "${field}" must be ${what} (got ${JSON.stringify(n)})`);
  return n;
}

export function loadModels(path: string): Model[] {
  const seen = new Set<string>();
  return objects(path).map(({ line, value: v }, index) => {
    const id = v.id;
    if (typeof id !== 'string' || id === '') throw new TraceFileError(`${path}:${line}: field "id" must be a non-empty string`);
    if (seen.has(id)) throw new TraceFileError(`${path}:${line}: field "id": duplicate model "${id}"`);
    seen.add(id);
    const sku = v.sku;
    if (typeof sku !== 'string' || !getSku(sku)) throw new TraceFileError(`${path}:${line}: field "sku" must be a known hardware SKU such as "gpu-t4" (got ${JSON.stringify(sku)})`);
    return {
      index,
      versionId: id,
      sku,
      setupS: num(path, line, v, 'setup_s', (n) => n >= 0, 'a number ≥ 0'),
      predictS: num(path, line, v, 'predict_s', (n) => n > 0, 'a number > 0'),
      artifactBytes: 1e9 * num(path, line, v, 'artifact_gb', (n) => n >= 0, 'a number ≥ 0'),
      maxConcurrency: num(path, line, v, 'max_concurrency', (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1'),
      meanRatePerS: 0,
    };
  });
}

/** Arrivals for `models` (their ids); sets each model's mean rate from the trace. */
export function loadArrivals(path: string, models: Model[]): Arrival[] {
  const byId = new Map(models.map((m) => [m.versionId, m]));
  const counts = models.map(() => 0);
  let last = 0;
  const arrivals = objects(path).map(({ line, value: v }) => {
    const t = num(path, line, v, 't', (n) => n >= 0, 'a number of seconds ≥ 0');
    if (t < last) throw new TraceFileError(`${path}:${line}: field "t": arrivals must be sorted by t (${t} after ${last})`);
    last = t;
    const model = typeof v.model === 'string' ? byId.get(v.model) : undefined;
    if (!model) throw new TraceFileError(`${path}:${line}: field "model" must be the id of a model in the models file (got ${JSON.stringify(v.model)})`);
    return { t, model: model.index, n: counts[model.index]++ };
  });
  const horizon = Math.max(1, last);
  for (const m of models) m.meanRatePerS = counts[m.index] / horizon;
  return arrivals;
}
