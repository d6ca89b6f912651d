/**
 * `gantry models search|import`: the public model catalogue from the command line.
 * Search reads the catalogue shipped with the engine (offline, no engine needed); import asks a
 * running engine over its HTTP API (`POST /v1/models/import`), so it works against a remote one.
 */
import { ApiCallError, callEngine, parseArgs, UsageError, type Parsed } from './cli-args';
import { catalogueSource, liteModels, searchModels, type LiteModel } from './public-catalogue';

export const MODELS_USAGE = `usage:
  gantry models search <words…> [--limit N] [--json]
      search the public model catalogue offline (owner, name, description; then most run)
  gantry models import <owner/name> [--hardware SKU] [--command TEMPLATE] [--url URL] [--token TOKEN] [--json]
      import a catalogue model into a running engine (GANTRY_URL, default http://GANTRY_HOST:GANTRY_PORT;
      token from --token, GANTRY_API_TOKEN, or <GANTRY_DATA_DIR>/admin-token)

see docs/catalogue.md.`;

const FLAGS = { values: ['limit', 'hardware', 'command', 'url', 'token'], booleans: ['json'] };

function compactCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

function searchLines(found: LiteModel[]): string[] {
  const width = Math.min(48, Math.max(...found.map((m) => m.owner.length + m.name.length + 1)));
  return found.map((m) => {
    const ref = `${m.owner}/${m.name}`.padEnd(width);
    const runs = `${compactCount(m.run_count)} runs`.padStart(12);
    const description = (m.description ?? '').replace(/\s+/g, ' ').trim();
    return `${ref}  ${runs}  ${description.length > 100 ? `${description.slice(0, 99)}…` : description}`;
  });
}

async function search(parsed: Parsed): Promise<number> {
  if (parsed.words.length === 0) throw new UsageError('search needs words to look for');
  const rawLimit = parsed.flags.get('limit') ?? '10';
  const limit = Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  const query = parsed.words.join(' ');
  const found = searchModels(await liteModels(), query, limit);
  if (parsed.flags.has('json')) {
    console.log(JSON.stringify({ query, source: await catalogueSource(), results: found }, null, 2));
    return 0;
  }
  if (found.length === 0) {
    console.error(`no catalogue model matches "${query}"`);
    return 1;
  }
  for (const line of searchLines(found)) console.log(line);
  return 0;
}

async function importModel(parsed: Parsed): Promise<number> {
  if (parsed.words.length !== 1) throw new UsageError('import needs one owner/name');
  const body: Record<string, string> = { model: parsed.words[0] };
  for (const key of ['hardware', 'command'] as const) {
    const value = parsed.flags.get(key);
    if (typeof value === 'string') body[key] = value;
  }
  let res: { status: number; json: Record<string, unknown> };
  try {
    res = await callEngine(parsed, 'POST', '/v1/models/import', body);
  } catch (err) {
    if (err instanceof ApiCallError) return 1;
    throw err;
  }
  const json = res.json;
  if (parsed.flags.has('json')) {
    console.log(JSON.stringify(json, null, 2));
    return 0;
  }
  const version = (json.latest_version ?? {}) as { id?: string; hardware?: string; runner?: { image?: string } };
  const ref = `${json.owner}/${json.name}`;
  console.log(res.status === 201 ? `imported ${ref}` : `${ref} was already imported`);
  console.log(`  version   ${ref}:${version.id}`);
  console.log(`  hardware  ${version.hardware}`);
  console.log(`  image     ${version.runner?.image}`);
  console.log('it runs on a worker with Docker and the GPU its hardware names (docs/catalogue.md)');
  return 0;
}

/** Runs `gantry models <args>`; resolves to the exit status. */
export async function modelsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'search') return await search(parseArgs(rest, FLAGS));
    if (sub === 'import') return await importModel(parseArgs(rest, FLAGS));
    if (sub === '--help' || sub === '-h') {
      console.log(MODELS_USAGE);
      return 0;
    }
    throw new UsageError(sub ? `unknown models command "${sub}"` : 'models needs a command');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${MODELS_USAGE}`);
    return 2;
  }
}
