/**
 * Importing a catalogue model: the model with its description, example, licence and links, and
 * one Cog version that keeps the catalogue's version id, so `owner/name:<id>` references written
 * for Replicate resolve here too. The version runs the model's published image
 * (`r8.im/owner/name@sha256:<id>`) through a command template, on a worker with Docker.
 */
import { ApiError, conflict, invalid } from '../core/errors';
import { inputSchemaOf, schemaProblem } from '../core/validate';
import { getModel, getVersion, insertModel, insertVersion, updateImportedModel, type ModelRow, type NewModel, type VersionRow } from '../store/catalog';
import type { Db } from '../store/db';
import { findCatalogueModel, type CatalogueModel, type CatalogueSource } from './data';
import { importHardware } from './hardware';

export interface ImportSettings {
  /** Command template for GPU hardware ({port}, {gpus}, {image}). */
  gpuCommand: string;
  /** Command template for `cpu` hardware. */
  cpuCommand: string;
  /** Default hardware SKU (see hardware.ts for when a bigger one is chosen). */
  hardware: string;
  /** The runner's `webhook_host` with each command: how its server reaches the worker; empty for loopback. */
  webhookHost: { gpu: string; cpu: string };
}

export interface ImportRequest {
  owner: string;
  name: string;
  /** Overrides the chosen hardware SKU (already validated). */
  hardware?: string;
  /** Overrides the command template. */
  command?: string;
}

export interface ImportResult {
  /** `created`: a new model; `updated`: a newer catalogue version added to an imported model; `unchanged`: already there. */
  outcome: 'created' | 'updated' | 'unchanged';
  model: ModelRow;
  version: VersionRow;
}

/** The image Replicate publishes for a version (Cog pushes every version to r8.im by digest). */
export function catalogueImage(owner: string, name: string, versionId: string): string {
  return `r8.im/${owner}/${name}@sha256:${versionId}`;
}

/** Cog marks streamed output (tokens as they come) as an iterator. */
function streamsOutput(openapi: Record<string, unknown>): boolean {
  const schemas = ((openapi.components ?? {}) as { schemas?: Record<string, Record<string, unknown>> }).schemas ?? {};
  return schemas.Output?.['x-cog-array-type'] === 'iterator';
}

function modelFields(entry: CatalogueModel, hardware: string): NewModel {
  return {
    owner: entry.owner,
    name: entry.name,
    description: entry.description,
    visibility: 'public',
    hardware,
    github_url: entry.github_url,
    paper_url: entry.paper_url,
    license_url: entry.license_url,
    cover_image_url: entry.cover_image_url,
    default_example: entry.default_example,
    weights_url: entry.weights_url,
    imported_from: entry.url,
  };
}

const notInCatalogue = (ref: string, source: CatalogueSource) =>
  new ApiError(404, 'Not found', `Model ${ref} is not in the public catalogue (${source.package}@${source.version}); see GET /v1/catalogue?query=…`, [
    { pointer: '/model', detail: `${ref} is not in the public catalogue` },
  ]);

/** The catalogue's latest version of `entry`, checked to be usable (a Cog input schema that compiles). */
function usableVersion(entry: CatalogueModel): { id: string; cog_version: string | null; openapi_schema: Record<string, unknown> } {
  const version = entry.latest_version;
  const ref = `${entry.owner}/${entry.name}`;
  const openapi = version?.openapi_schema;
  const schemas = ((openapi?.components ?? {}) as { schemas?: Record<string, unknown> }).schemas;
  if (!version || !openapi || !schemas?.Input) {
    throw invalid([{ pointer: '/model', detail: `the catalogue has no Cog version with an input schema for ${ref}` }]);
  }
  const problem = schemaProblem(inputSchemaOf(openapi));
  if (problem) throw invalid([{ pointer: '/model', detail: `the catalogue's input schema for ${ref} is not usable: ${problem}` }]);
  return { id: version.id, cog_version: version.cog_version, openapi_schema: openapi };
}

export async function importFromCatalogue(db: Db, request: ImportRequest, settings: ImportSettings, source: CatalogueSource): Promise<ImportResult> {
  const entry = await findCatalogueModel(request.owner, request.name);
  if (!entry) throw notInCatalogue(`${request.owner}/${request.name}`, source);
  const catalogueVersion = usableVersion(entry);
  const { owner, name } = entry; // the catalogue's spelling, whatever the request's case

  const existing = await getModel(db, owner, name);
  if (existing && !existing.imported_from) {
    throw conflict(`Model ${owner}/${name} already exists on this engine and was not imported from the catalogue; it is left as it is.`);
  }
  const present = await getVersion(db, catalogueVersion.id);
  if (existing && present && present.owner === owner && present.name === name) {
    return { outcome: 'unchanged', model: existing, version: present };
  }

  const hardware = request.hardware ?? existing?.hardware ?? importHardware(name, settings.hardware);
  const image = catalogueImage(owner, name, catalogueVersion.id);
  const command = request.command ?? (hardware === 'cpu' ? settings.cpuCommand : settings.gpuCommand);
  // The default commands run a container on Docker's bridge, which reaches the worker by this
  // name; a command of the request's own says nothing about its network (loopback receiver).
  const webhookHost = request.command === undefined ? settings.webhookHost[hardware === 'cpu' ? 'cpu' : 'gpu'] : '';
  // A concurrent import of the same model may win the insert; then this one only adds the version.
  const created = existing ? undefined : await insertModel(db, modelFields(entry, hardware));
  if (existing) await updateImportedModel(db, modelFields(entry, existing.hardware));
  const version = await insertVersion(db, {
    id: catalogueVersion.id,
    owner,
    name,
    runner: { type: 'cog', image, command, ...(webhookHost ? { webhook_host: webhookHost } : {}) },
    openapi_schema: catalogueVersion.openapi_schema,
    hardware,
    gpu_count: null,
    gpu_memory_gb: null,
    max_concurrency: 1,
    pricing: [],
    weights: null,
    streams: streamsOutput(catalogueVersion.openapi_schema),
    trainable: !!(catalogueVersion.openapi_schema.components as { schemas: Record<string, unknown> }).schemas.TrainingInput,
    cog_version: catalogueVersion.cog_version,
  });
  const model = (await getModel(db, owner, name)) as ModelRow;
  return { outcome: created ? 'created' : existing ? 'updated' : 'unchanged', model, version };
}
