/**
 * Reading a file input (`format: uri`) of a built-in predictor into bytes.
 *
 * By the time a predictor runs, the engine has turned http(s) URLs and its own file URLs into a
 * local absolute path (see src/worker/run-io.ts); data URIs pass through unchanged. Predictors
 * called directly (tests, other hosts) may also get a file:// URL or an http(s) URL, which is
 * fetched here as a fallback (cancel-aware). Error messages start with the input's name.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA_URI = /^data:([^;,]*)((?:;[^;,]*)*?)(;base64)?,(.*)$/s;

/** The bytes of the file input `name` whose value is `value`. */
export async function readFileInput(name: string, value: string, signal?: AbortSignal): Promise<Buffer> {
  const s = value.trim();
  if (s.startsWith('data:')) {
    const m = DATA_URI.exec(s);
    if (!m) throw new Error(`${name}: malformed data URI`);
    const body = m[4] ?? '';
    const bytes = m[3] ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'latin1');
    if (bytes.length === 0) throw new Error(`${name}: the data URI is empty`);
    return bytes;
  }
  if (s.startsWith('file://')) return readLocal(name, fileURLToPath(s));
  if (/^https?:\/\//i.test(s)) {
    const res = await fetch(s, { signal });
    if (!res.ok) throw new Error(`${name}: GET ${s} answered ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
  if (isAbsolute(s)) return readLocal(name, s);
  throw new Error(`${name} must be a data URI, an http(s) URL, or an absolute file path`);
}

async function readLocal(name: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new Error(`${name}: cannot read ${path}: ${(e as Error).message}`);
  }
}
