/**
 * Weights a version names by an http(s) URL (imported weights URLs): how they are named in the
 * artifact cache and how they are downloaded. The cache key is `urls/<sha256 of the URL>` (the
 * whole URL, userinfo and query included, so two different credentials or signatures never share
 * a copy); the local copy is one file, named after the last segment of the URL's path, inside
 * that key's directory.
 *
 * The download follows redirects (at most MAX_REDIRECTS), checks every hop with the SSRF guard
 * that URL inputs use (a weights URL is fetched on a user's behalf: loopback and private
 * addresses only through GANTRY_URL_ALLOWLIST), sends the URL's userinfo as HTTP Basic
 * authorization (to the URL's own origin only: a redirect elsewhere does not get it), and is held
 * to a byte limit. Errors say what went wrong, not which URL (the caller names it, through
 * `describeWeights`, which drops the userinfo): nothing here ever prints the credentials.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { guardUrl, UrlGuardError, type AllowList, type Lookup, type ResolvedAddress } from '../core/url-guard';
// The SSRF guard's resolver and address pinning, shared with URL inputs.
import { allowListFromEnv, pinnedLookup, systemLookup } from '../runners/fetch-input';
import { ByteMeter } from './meter';
import { SizeLimitError } from './types';

export const URL_KEY_PREFIX = 'urls';
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** An origin silent this long (no answer, or no body bytes) fails the download rather than hang the boot. */
const STALL_MS = 60_000;

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
  discard(): void;
}

export interface OpenUrlOptions {
  /** Hosts, IPs and CIDRs allowed although not public; default GANTRY_URL_ALLOWLIST. */
  allow?: AllowList;
  lookup?: Lookup;
  /** Silence that fails the download (tests shorten it); default a minute. */
  stallMs?: number;
}

/** One GET to the checked addresses of `url` (pinned: no second DNS answer is used). */
function get(url: URL, addresses: ResolvedAddress[], headers: Record<string, string>, stallMs: number): Promise<http.IncomingMessage> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: 'GET', lookup: pinnedLookup(addresses), headers: { 'user-agent': 'gantry-weights-fetcher', accept: '*/*', ...headers } }, resolve);
    // The socket's idle timer keeps running while the body streams: a stall mid-body ends it too.
    req.setTimeout(stallMs, () => req.destroy(new Error(`the origin sent nothing for ${stallMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * GETs the weights at `url`, following redirects; rejects on an address the SSRF guard refuses
 * (as for URL inputs: core/url-guard.ts, each hop checked), a network error, too many redirects
 * or an answer other than 2xx.
 */
export async function openWeightsUrl(url: string, opts: OpenUrlOptions = {}): Promise<UrlResponse> {
  const allow = opts.allow ?? allowListFromEnv();
  const lookup = opts.lookup ?? systemLookup;
  const first = new URL(url);
  // The credentials travel as a Basic authorization header, never inside a URL we print.
  const auth = first.username || first.password ? `Basic ${Buffer.from(`${decodeURIComponent(first.username)}:${decodeURIComponent(first.password)}`).toString('base64')}` : undefined;
  first.username = '';
  first.password = '';
  let at = first;
  for (let hop = 0; ; hop++) {
    let res: http.IncomingMessage;
    try {
      const guarded = await guardUrl(at, { allow, lookup });
      res = await get(guarded.url, guarded.addresses, auth && at.origin === first.origin ? { authorization: auth } : {}, opts.stallMs ?? STALL_MS);
    } catch (err) {
      // The guard's message starts with the URL, which the caller names already.
      const why = (err as Error).message.replace(`${at.href}: `, '');
      throw new Error(err instanceof UrlGuardError ? why : `the download failed: ${(err as { code?: string }).code ?? why}`);
    }
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      res.resume();
      const location = res.headers.location;
      if (!location) throw new Error(`the origin answered HTTP ${status} without a Location`);
      if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
      at = new URL(location, at);
      // Credentials in a redirect target are not the user's to print (nor sent: only the original URL's go).
      at.username = '';
      at.password = '';
      continue;
    }
    if (status < 200 || status > 299) {
      res.resume();
      throw new Error(`the origin answered HTTP ${status}`);
    }
    const declared = Number(res.headers['content-length']);
    return {
      length: res.headers['content-length'] !== undefined && Number.isFinite(declared) ? declared : undefined,
      async saveTo(path: string, limit: number): Promise<number> {
        await mkdir(dirname(path), { recursive: true });
        const meter = new ByteMeter(limit);
        try {
          await pipeline(res, meter, createWriteStream(path));
        } catch (err) {
          if (meter.exceeded || err instanceof SizeLimitError) throw new Error(`the body is larger than ${limit} bytes (the artifact cache budget, GANTRY_CACHE_BYTES)`);
          throw new Error(`the download failed: ${(err as Error).message}`);
        }
        // A body cut short without an error (the origin closed early) is not the whole file.
        if (!res.complete) throw new Error('the download failed: the connection closed before the body was complete');
        return meter.result().size;
      },
      discard(): void {
        res.destroy();
      },
    };
  }
}
