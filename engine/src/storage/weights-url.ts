/**
 * Weights a version names by an http(s) URL (imported weights URLs): how they are named in the
 * artifact cache and how they are downloaded. The cache key is `urls/<sha256 of the URL>` (the
 * whole URL, userinfo and query included, so two different credentials or signatures never share
 * a copy); the local copy is one file, named after the last segment of the URL's path, inside
 * that key's directory.
 *
 * The download follows redirects (at most MAX_REDIRECTS), sends the URL's userinfo as HTTP Basic
 * authorization (to the URL's own origin only: a redirect elsewhere does not get it), and is held
 * to a byte limit. Errors say what went wrong, not which URL (the caller names it, through
 * `describeWeights`, which drops the userinfo): nothing here ever prints the credentials.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ByteMeter } from './meter';
import { SizeLimitError } from './types';

export const URL_KEY_PREFIX = 'urls';
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Whether a version's weights are an http(s) URL. */
export function isWeightsUrl(location: string): boolean {
  return /^https?:\/\//i.test(location) && URL.canParse(location);
}

/** The cache key of the weights at `url`. */
export function urlWeightsKey(url: string): string {
  return `${URL_KEY_PREFIX}/${createHash('sha256').update(url).digest('hex')}`;
}

/** The local copy's file name: the URL path's last segment, made safe; `weights` when it has none. */
export function urlWeightsFileName(url: string): string {
  const last = new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';
  let decoded = last;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    // A malformed escape: keep the raw segment.
  }
  return decoded.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'weights';
}

/** A weights location fit for logs and errors: a URL loses its userinfo (user and password). */
export function describeWeights(location: string): string {
  if (!isWeightsUrl(location)) return location;
  const u = new URL(location);
  if (!u.username && !u.password) return location;
  u.username = '';
  u.password = '';
  return u.toString();
}

/** A response to a weights download, its body not read yet. */
export interface UrlResponse {
  /** Content-Length, when the origin sent one. */
  length?: number;
  /** Streams the body into `path`, held to `limit` bytes; resolves with the bytes written. */
  saveTo(path: string, limit: number): Promise<number>;
  /** Drops the body (nothing will read it). */
  discard(): Promise<void>;
}

/**
 * GETs the weights at `url`, following redirects; rejects on a network error, too many redirects
 * or an answer other than 2xx.
 */
export async function openWeightsUrl(url: string): Promise<UrlResponse> {
  const first = new URL(url);
  // fetch refuses URLs with credentials: they travel as a Basic authorization header instead.
  const auth = first.username || first.password ? `Basic ${Buffer.from(`${decodeURIComponent(first.username)}:${decodeURIComponent(first.password)}`).toString('base64')}` : undefined;
  first.username = '';
  first.password = '';
  let at = first;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await fetch(at, { redirect: 'manual', headers: auth && at.origin === first.origin ? { authorization: auth } : {} });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      throw new Error(`the download failed: ${cause ?? (err as Error).message}`);
    }
    if (REDIRECTS.has(res.status)) {
      await res.body?.cancel();
      const location = res.headers.get('location');
      if (!location) throw new Error(`the origin answered HTTP ${res.status} without a Location`);
      if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
      at = new URL(location, at);
      continue;
    }
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel();
      throw new Error(`the origin answered HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length'));
    const body = res.body;
    return {
      length: res.headers.has('content-length') && Number.isFinite(declared) ? declared : undefined,
      async saveTo(path: string, limit: number): Promise<number> {
        await mkdir(dirname(path), { recursive: true });
        const meter = new ByteMeter(limit);
        try {
          const source = body ? Readable.fromWeb(body as WebReadableStream<Uint8Array>) : Readable.from([]);
          await pipeline(source, meter, createWriteStream(path));
        } catch (err) {
          if (meter.exceeded || err instanceof SizeLimitError) throw new Error(`the body is larger than ${limit} bytes (the artifact cache budget, GANTRY_CACHE_BYTES)`);
          throw new Error(`the download failed: ${(err as Error).message}`);
        }
        return meter.result().size;
      },
      async discard(): Promise<void> {
        await body?.cancel();
      },
    };
  }
}
