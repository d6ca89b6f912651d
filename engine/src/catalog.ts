/** Creating versions from a runner spec (the API extension and the built-in models share this). */
import { ApiError, invalid } from './core/errors';
import { versionId, type VersionSpec } from './core/version-spec';
import { insertVersion, type VersionRow } from './store/catalog';
import type { Db } from './store/db';
import { describeNodeModule } from './runners/node-schema';
import { cogStreams, describeCogServer, probeCogCommand } from './runners/cog-schema';
import { languageModelOpenApi } from './runners/openai-inputs';
import { resolveModule } from './runners/resolve-module';

/**
 * `cogVersion`: the Cog release of a version made from another (a trained version keeps its
 * base's); a Cog server read for its schema may name its own.
 */
export async function createVersion(db: Db, owner: string, name: string, spec: VersionSpec, inherited: { cogVersion?: string | null } = {}): Promise<VersionRow> {
  let openapi = spec.openapi_schema;
  let cogVersion = inherited.cogVersion ?? null;
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
  } else if (!openapi && spec.runner.type === 'cog') {
    // A Cog server describes itself: the one at the URL, or one booted from the command for it.
    const { url, command, image } = spec.runner;
    try {
      const described = url ? await describeCogServer(url) : await probeCogCommand(command ?? '', image);
      openapi = described.openapi;
      cogVersion = described.cogVersion ?? cogVersion;
    } catch (err) {
      const detail = `cannot read the Cog server's /openapi.json (${(err as Error).message}); the server must be reachable, or give the version an openapi_schema`;
      throw invalid([{ pointer: url ? '/runner/url' : '/runner/command', detail }]);
    }
  } else if (spec.runner.type === 'openai') {
    // Every OpenAI-compatible server takes the same chat inputs, so the schema needs no server.
    openapi ??= languageModelOpenApi();
    streams = true;
  } else if (!openapi) {
    throw new ApiError(422, 'Input validation failed', 'give the version an openapi_schema', [
      { pointer: '/openapi_schema', detail: 'is required for this runner' },
    ]);
  }
  if (spec.runner.type !== 'node') {
    const schemas = ((openapi as { components?: { schemas?: Record<string, unknown> } }).components?.schemas ?? {}) as Record<string, unknown>;
    if (!schemas.Input) throw invalid([{ pointer: '/openapi_schema', detail: 'must have components.schemas.Input (a Cog OpenAPI document)' }]);
    trainable = !!schemas.TrainingInput;
    if (spec.runner.type === 'cog') streams = cogStreams(openapi as Record<string, unknown>);
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
    cog_version: cogVersion,
  });
}
