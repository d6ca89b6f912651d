/**
 * `gantry models search|import`: the public model catalogue from the command line.
 * Search reads the catalogue shipped with the engine (offline, no engine needed); import asks a
 * running engine over its HTTP API (`POST /v1/models/import`), so it works against a remote one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogueSource, liteModels, searchModels, type LiteModel } from './public-catalogue';

export const MODELS_USAGE = `usage:
  gantry models search <words…> [--limit N] [--json]
      search the public model catalogue offline (owner, name, description; then most run)
  gantry models import <owner/name> [--hardware SKU] [--command TEMPLATE] [--url URL] [--token TOKEN] [--json]
      import a catalogue model into a running engine (GANTRY_URL, default http://GANTRY_HOST:GANTRY_PORT;
      token from --token, GANTRY_API_TOKEN, or <GANTRY_DATA_DIR>/admin-token)

see docs/catalogue.md.`;

/** Thrown for bad command lines: the message is printed with the usage, exit status 2. */
class UsageError extends Error {}

interface Parsed {
  words: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set(['limit', 'hardware', 'command', 'url', 'token']);
const BOOLEAN_FLAGS = new Set(['json']);

function parseArgs(args: string[]): Parsed {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const [flag, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (BOOLEAN_FLAGS.has(flag)) flags.set(flag, true);
    else if (VALUE_FLAGS.has(flag)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`--${flag} needs a value`);
      flags.set(flag, value);
    } else throw new UsageError(`unknown option --${flag}`);
  }
  return { words, flags };
}

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

function engineUrl(parsed: Parsed): string {
  const flag = parsed.flags.get('url');
  const url = typeof flag === 'string' ? flag : process.env.GANTRY_URL ?? `http://${process.env.GANTRY_HOST ?? '127.0.0.1'}:${process.env.GANTRY_PORT ?? '8787'}`;
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** The token to send: the flag, the environment, or the admin token `gantry serve` generated locally. */
function engineToken(parsed: Parsed): string {
  const flag = parsed.flags.get('token');
  if (typeof flag === 'string') return flag;
  if (process.env.GANTRY_API_TOKEN) return process.env.GANTRY_API_TOKEN;
  const file = join(process.env.GANTRY_DATA_DIR ?? '.gantry', 'admin-token');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new UsageError(`no API token: pass --token, set GANTRY_API_TOKEN, or run where ${file} exists`);
  }
}

interface Problem {
  title?: string;
  detail?: string;
  errors?: Array<{ pointer: string; detail: string }>;
}

async function importModel(parsed: Parsed): Promise<number> {
  if (parsed.words.length !== 1) throw new UsageError('import needs one owner/name');
  const url = engineUrl(parsed);
  const body: Record<string, string> = { model: parsed.words[0] };
  for (const key of ['hardware', 'command'] as const) {
    const value = parsed.flags.get(key);
    if (typeof value === 'string') body[key] = value;
  }
  let res: Response;
  try {
    res = await fetch(`${url}/v1/models/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${engineToken(parsed)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    console.error(`cannot reach the engine at ${url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message} (is it running? set GANTRY_URL or --url)`);
    return 1;
  }
  const json = (await res.json().catch(() => ({}))) as Problem & Record<string, unknown>;
  if (!res.ok) {
    console.error(`error: HTTP ${res.status} ${json.title ?? ''}: ${json.detail ?? ''}`.trim());
    for (const e of json.errors ?? []) console.error(`  ${e.pointer || '(body)'}: ${e.detail}`);
    return 1;
  }
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
    if (sub === 'search') return await search(parseArgs(rest));
    if (sub === 'import') return await importModel(parseArgs(rest));
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
