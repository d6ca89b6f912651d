/** What the client commands (`gantry models`, `check`, `decide`) share: flags, the engine's URL and token, API calls. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown for bad command lines: the message is printed with the usage, exit status 2. */
export class UsageError extends Error {}

export interface Parsed {
  words: string[];
  flags: Map<string, string | true>;
}

/** `--flag value`, `--flag=value` and boolean `--flag`; anything else unknown is a UsageError. */
export function parseArgs(args: string[], spec: { values: string[]; booleans: string[] }): Parsed {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const [flag, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (spec.booleans.includes(flag)) flags.set(flag, true);
    else if (spec.values.includes(flag)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`--${flag} needs a value`);
      flags.set(flag, value);
    } else throw new UsageError(`unknown option --${flag}`);
  }
  return { words, flags };
}

export function engineUrl(parsed: Parsed): string {
  const flag = parsed.flags.get('url');
  const url = typeof flag === 'string' ? flag : process.env.GANTRY_URL ?? `http://${process.env.GANTRY_HOST ?? '127.0.0.1'}:${process.env.GANTRY_PORT ?? '8787'}`;
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** The token to send: the flag, the environment, or the admin token `gantry serve` generated locally. */
export function engineToken(parsed: Parsed): string {
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

export interface Problem {
  title?: string;
  detail?: string;
  errors?: Array<{ pointer: string; detail: string }>;
}

/** A failed call, already explained on stderr; the command exits with status 1. */
export class ApiCallError extends Error {}

/** One API call; JSON in and out (or the raw text with `accept`). Prints and throws ApiCallError on failure. */
export async function callEngine(
  parsed: Parsed,
  method: string,
  path: string,
  body?: unknown,
  accept = 'application/json',
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const url = engineUrl(parsed);
  const token = engineToken(parsed);
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    console.error(`cannot reach the engine at ${url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message} (is it running? set GANTRY_URL or --url)`);
    throw new ApiCallError('unreachable');
  }
  const text = await res.text();
  let json: Problem & Record<string, unknown> = {};
  try {
    json = text && !accept.startsWith('text/') ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  if (!res.ok) {
    if (accept.startsWith('text/')) json = JSON.parse(text || '{}') as Problem & Record<string, unknown>;
    console.error(`error: HTTP ${res.status} ${json.title ?? ''}: ${json.detail ?? ''}`.trim());
    for (const e of json.errors ?? []) console.error(`  ${e.pointer || '(body)'}: ${e.detail}`);
    throw new ApiCallError(`HTTP ${res.status}`);
  }
  return { status: res.status, json, text };
}

/** Rows as aligned columns (the first row is the header), wrapping nothing: the last column may run long. */
export function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (i === r.length - 1 ? 0 : (r[i] ?? '').length))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

/** A JSON flag value, or `@file.json` read from disk. */
export function jsonFlag(parsed: Parsed, flag: string): unknown {
  const raw = parsed.flags.get(flag);
  if (typeof raw !== 'string') return undefined;
  const text = raw.startsWith('@') ? readFileSync(raw.slice(1), 'utf8') : raw;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--${flag} must be JSON (or @file.json): ${(err as Error).message}`);
  }
}

/**
 * A client command: `--help` prints the usage; bad command lines print it too (exit 2); a failed
 * API call has already explained itself (exit 1); otherwise `run`'s exit status.
 */
export function clientCommand(usage: string, flags: { values: string[]; booleans: string[] }, run: (parsed: Parsed) => Promise<number>) {
  return async (args: string[]): Promise<number> => {
    try {
      if (args[0] === '--help' || args[0] === '-h') {
        console.log(usage);
        return 0;
      }
      return await run(parseArgs(args, flags));
    } catch (err) {
      if (err instanceof ApiCallError) return 1;
      if (!(err instanceof UsageError)) throw err;
      console.error(`${err.message}\n\n${usage}`);
      return 2;
    }
  };
}
