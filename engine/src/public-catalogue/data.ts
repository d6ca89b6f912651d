/**
 * Reading the public model catalogue: the npm package `all-the-public-replicate-models`
 * (a snapshot of every public model on Replicate). Search uses its small "lite" file; a full
 * entry (schema, example, licence) is cut out of the 63 MB `models.json` only when asked for.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const CATALOGUE_PACKAGE = 'all-the-public-replicate-models';

/** What the lite file holds for each model. */
export interface LiteModel {
  url: string;
  owner: string;
  name: string;
  description: string | null;
  run_count: number;
  cover_image_url: string | null;
  github_url: string | null;
}

export interface CatalogueVersion {
  id: string;
  created_at: string;
  cog_version: string | null;
  openapi_schema: Record<string, unknown> | null;
}

/** A full catalogue entry (Replicate's model object as the package stores it). */
export interface CatalogueModel extends LiteModel {
  visibility: string;
  paper_url: string | null;
  license_url: string | null;
  weights_url: string | null;
  created_at: string | null;
  default_example: Record<string, unknown> | null;
  latest_version: CatalogueVersion | null;
}

export interface CatalogueSource {
  package: string;
  version: string;
  models: number;
}

/** The package is ESM with an `exports` map that hides its package.json; its main entry sits at the root. */
function packageDir(): string {
  return dirname(require.resolve(CATALOGUE_PACKAGE));
}

const key = (owner: string, name: string) => `${owner}/${name}`.toLowerCase();

interface LiteIndex {
  models: LiteModel[];
  byRef: Map<string, LiteModel>;
  version: string;
}

let lite: Promise<LiteIndex> | undefined;

async function loadLite(): Promise<LiteIndex> {
  const dir = packageDir();
  const [models, pkg] = await Promise.all([
    readFile(join(dir, 'models-lite.json'), 'utf8').then((text) => JSON.parse(text) as LiteModel[]),
    readFile(join(dir, 'package.json'), 'utf8').then((text) => JSON.parse(text) as { version: string }),
  ]);
  return { models, byRef: new Map(models.map((m) => [key(m.owner, m.name), m])), version: pkg.version };
}

function liteIndex(): Promise<LiteIndex> {
  // Kept once loaded: 1.4 MB of JSON, and every search needs it.
  lite ??= loadLite().catch((err) => {
    lite = undefined;
    throw err;
  });
  return lite;
}

export async function liteModels(): Promise<readonly LiteModel[]> {
  return (await liteIndex()).models;
}

export async function catalogueSource(): Promise<CatalogueSource> {
  const index = await liteIndex();
  return { package: CATALOGUE_PACKAGE, version: index.version, models: index.models.length };
}

/** The lite entry for `owner/name` (case-insensitive), or undefined when the catalogue lacks it. */
export async function findLiteModel(owner: string, name: string): Promise<LiteModel | undefined> {
  return (await liteIndex()).byRef.get(key(owner, name));
}

/**
 * Cuts one entry out of the pretty-printed `models.json` without parsing the rest: a top-level
 * entry is the only place where `"url"` sits at four spaces of indentation, and its object opens
 * and closes at two. Returns undefined when the layout is not that one (the caller then parses
 * the whole file), so a reformatted package stays correct, only slower.
 */
export function sliceEntry(file: Buffer, url: string): CatalogueModel | undefined {
  const marker = `\n    "url": ${JSON.stringify(url)}`;
  const at = file.indexOf(marker);
  if (at < 0) return undefined;
  const next = file[at + Buffer.byteLength(marker)];
  if (next !== 0x2c /* , */ && next !== 0x0a /* \n */) return undefined;
  const start = file.lastIndexOf('\n  {\n', at);
  const end = file.indexOf('\n  }', at);
  if (start < 0 || end < 0) return undefined;
  try {
    const entry = JSON.parse(file.subarray(start + 1, end + 4).toString('utf8')) as CatalogueModel;
    return entry.url === url ? entry : undefined;
  } catch {
    return undefined;
  }
}

let fullParse: Promise<CatalogueModel[]> | undefined;

/** Parses all of `models.json` (about 1 s and 200 MB); concurrent callers share one parse, none keeps it. */
function parseAll(file: string): Promise<CatalogueModel[]> {
  fullParse ??= readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as CatalogueModel[])
    .finally(() => (fullParse = undefined));
  return fullParse;
}

/** Entries looked up recently (an import usually follows a look at the same model's schema). */
const recent = new Map<string, CatalogueModel>();
const RECENT_LIMIT = 16;

/** The full catalogue entry for `owner/name` (case-insensitive), or undefined when it is not there. */
export async function findCatalogueModel(owner: string, name: string): Promise<CatalogueModel | undefined> {
  const entry = await findLiteModel(owner, name);
  if (!entry) return undefined;
  const ref = key(entry.owner, entry.name);
  const cached = recent.get(ref);
  if (cached) return cached;
  const file = join(packageDir(), 'models.json');
  const found =
    sliceEntry(await readFile(file), entry.url) ??
    (await parseAll(file)).find((m) => key(m.owner, m.name) === ref);
  if (!found) return undefined;
  recent.set(ref, found);
  if (recent.size > RECENT_LIMIT) recent.delete(recent.keys().next().value as string);
  return found;
}
