/** Creating versions from a runner spec (the API extension and the built-in models share this). */
import { ApiError, invalid } from './core/errors';
import { versionId, type VersionSpec } from './core/version-spec';
import { insertVersion, type VersionRow } from './store/catalog';
import type { Db } from './store/db';
import { describeNodeModule } from './runners/node-schema';
import { resolveModule } from './worker/resolve-module';

export async function createVersion(db: Db, owner: string, name: string, spec: VersionSpec): Promise<VersionRow> {
  let openapi = spec.openapi_schema;
  let streams = false;
  let trainable = false;
  if (spec.runner.type === 'node') {
    try {
      const info = describeNodeModule(resolveModule(spec.runner.module));
      openapi = info.openapi_schema;
      streams = info.streams;
      trainable = info.trainable;
    } catch (err) {
      throw invalid([{ pointer: '/runner/module', detail: `cannot load the predictor: ${(err as Error).message}` }]);
    }
  } else if (!openapi) {
    throw new ApiError(422, 'Input validation failed', 'cog and openai runners need an openapi_schema in this build', [
      { pointer: '/openapi_schema', detail: 'is required for this runner type' },
    ]);
  }
  return insertVersion(db, {
    id: versionId(owner, name, spec, openapi),
    owner,
    name,
    runner: spec.runner as Record<string, unknown>,
    openapi_schema: openapi as Record<string, unknown>,
    hardware: spec.hardware ?? 'cpu',
    gpu_count: spec.gpu_count ?? null,
    gpu_memory_gb: spec.gpu_memory_gb ?? null,
    max_concurrency: spec.max_concurrency,
    pricing: spec.pricing as Array<Record<string, unknown>>,
    weights: spec.weights ?? null,
    streams,
    trainable,
  });
}
