/** How models and versions look on the wire (Replicate's shapes, plus Gantry's extensions). */
import { getVersion, runCount, type ModelRow, type VersionRow } from '../store/catalog';
import type { ApiContext } from './context';

/**
 * Replicate always sends `cog_version` as a string and the Python client requires one. A Cog
 * version shows the Cog release that built it when known (imported from the catalogue); anything
 * else names what runs it, stably, so the field never changes for an existing version.
 */
export function cogVersionOf(v: Pick<VersionRow, 'cog_version' | 'runner'>): string {
  if (v.cog_version) return v.cog_version;
  if (v.runner.type === 'cog') return 'unknown';
  return `gantry-${String(v.runner.type)}`;
}

export function versionWire(v: VersionRow) {
  const runner = { ...v.runner };
  // Secrets never leave the engine: a runner's credentials are redacted.
  for (const key of Object.keys(runner)) if (/key|token|secret|password/i.test(key)) runner[key] = '[redacted]';
  return {
    id: v.id,
    created_at: v.created_at.toISOString(),
    cog_version: cogVersionOf(v),
    openapi_schema: v.openapi_schema,
    runner,
    hardware: v.hardware,
    gpu_count: v.gpu_count,
    gpu_memory_gb: v.gpu_memory_gb,
    max_concurrency: v.max_concurrency,
    pricing: v.pricing,
    streams: v.streams,
    trainable: v.trainable,
  };
}

export async function modelWire(ctx: ApiContext, m: ModelRow) {
  const latest = m.latest_version ? await getVersion(ctx.db, m.latest_version) : undefined;
  return {
    url: `${ctx.publicUrl}/${m.owner}/${m.name}`,
    owner: m.owner,
    name: m.name,
    description: m.description,
    visibility: m.visibility,
    github_url: m.github_url,
    paper_url: m.paper_url,
    license_url: m.license_url,
    cover_image_url: m.cover_image_url,
    weights_url: m.weights_url ?? null,
    run_count: await runCount(ctx.db, `${m.owner}/${m.name}`),
    created_at: m.created_at.toISOString(),
    default_example: m.default_example ?? null,
    latest_version: latest ? versionWire(latest) : null,
    // Extension: the public catalogue page this model was imported from (null when made here).
    imported_from: m.imported_from ?? null,
  };
}
