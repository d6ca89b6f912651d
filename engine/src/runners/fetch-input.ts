/**
 * Downloads a URL input (or decodes a `data:` URI) for a predictor, safely:
 * - every hop is checked by the SSRF guard (`core/url-guard.ts`), redirects are followed by hand
 *   (at most 5) and each target is checked again;
 * - the connection goes to the very addresses that were checked (a pinned `lookup`), so a DNS
 *   answer that changes between check and connect (rebinding) cannot reach a private address;
 *   TLS still verifies the certificate against the hostname;
 * - a size limit applies to the declared length and to the bytes actually read;
 * - failures are `InputFetchError`s whose message names the URL and the problem.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { basename } from 'node:path';
import {
  guardUrl,
  parseAllowList,
  UrlGuardError,
  type AllowList,
  type Lookup,
  type ResolvedAddress,
} from '../core/url-guard';

export const DEFAULT_MAX_INPUT_BYTES = 100 * 1024 * 1024;
export const MAX_REDIRECTS = 5;

export type InputFetchErrorCode =
  | 'invalid_url'
  | 'scheme'
  | 'blocked'
  | 'dns'
  | 'too_many_redirects'
  | 'http_status'
  | 'too_large'
  | 'timeout'
  | 'network';

export class InputFetchError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly code: InputFetchErrorCode,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'InputFetchError';
  }
}

export interface FetchedInput {
  buffer: Buffer;
  contentType: string;
  fileName: string;
  /** The URL finally read (after redirects); the data: URI itself for data URIs. */
  url: string;
}

export interface FetchInputOptions {
  /** Default 100 MiB. */
  maxBytes?: number;
  /** Allowed hosts/IPs/CIDRs; default `GANTRY_URL_ALLOWLIST` from the environment. */
  allow?: AllowList | string | readonly string[];
  /** Whole-download timeout. Default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Resolver; default `dns.lookup(host, { all: true })`. */
  lookup?: Lookup;
  /** Extra request headers (e.g. Authorization for the engine's own file URLs). */
  headers?: Record<string, string>;
}

/** The allow list configured in `GANTRY_URL_ALLOWLIST` (comma-separated hostnames, IPs, CIDRs). */
export function allowListFromEnv(env: NodeJS.ProcessEnv = process.env): AllowList {
  return parseAllowList(env.GANTRY_URL_ALLOWLIST);
}

export const systemLookup: Lookup = async (hostname) => {
  const rows = await dnsLookup(hostname, { all: true, verbatim: true });
  return rows.map((r) => ({ address: r.address, family: r.family }));
};

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KiB`;
  return `${n} bytes`;
}

function tooLarge(url: string, maxBytes: number, size?: number): InputFetchError {
  const shown = url.startsWith('data:') ? `${url.slice(0, 40)}…` : url;
  return new InputFetchError(
    `${shown} is ${size !== undefined ? `${formatBytes(size)}, ` : ''}larger than the input size limit of ${formatBytes(maxBytes)} (${maxBytes} bytes)`,
    url,
    'too_large',
  );
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/ogg': 'ogg',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'application/pdf': 'pdf',
  'application/json': 'json',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'application/zip': 'zip',
};

function defaultName(contentType: string): string {
  const ext = EXTENSIONS[contentType.split(';')[0]!.trim().toLowerCase()];
  return ext ? `file.${ext}` : 'file';
}

/** A file name safe to create in a scratch directory (no path, no control characters), or null. */
export function safeName(name: string): string | null {
  const cleaned = basename(name.replace(/\\/g, '/'))
    // Control characters never belong in a file name.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  return cleaned && cleaned !== '.' && cleaned !== '..' ? cleaned.slice(0, 255) : null;
}

function fileNameFrom(disposition: string | undefined, url: URL, contentType: string): string {
  if (disposition) {
    const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
    if (star) {
      try {
        const n = safeName(decodeURIComponent(star[1]!.trim()));
        if (n) return n;
      } catch {
        /* fall through */
      }
    }
    const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/.exec(disposition);
    const n = plain && safeName((plain[1] ?? plain[2] ?? '').trim());
    if (n) return n;
  }
  const last = url.pathname.split('/').filter(Boolean).pop();
  if (last) {
    try {
      const n = safeName(decodeURIComponent(last));
      if (n) return n;
    } catch {
      const n = safeName(last);
      if (n) return n;
    }
  }
  return defaultName(contentType);
}

/** Decodes `data:[<mediatype>][;base64],<data>`, enforcing `maxBytes`. */
export function decodeDataUri(uri: string, maxBytes = DEFAULT_MAX_INPUT_BYTES): FetchedInput {
  const comma = uri.indexOf(',');
  if (!uri.toLowerCase().startsWith('data:') || comma < 0) {
    throw new InputFetchError(`${uri.slice(0, 40)}… is not a valid data: URI (expected data:[<type>][;base64],<data>)`, uri, 'invalid_url');
  }
  let meta = uri.slice(5, comma);
  const data = uri.slice(comma + 1);
  const isBase64 = /;base64$/i.test(meta);
  if (isBase64) meta = meta.slice(0, -7);
  const contentType = meta.trim() || 'text/plain;charset=US-ASCII';
  // Check the size before allocating.
  const estimate = isBase64 ? Math.floor((data.replace(/%3D|=/gi, '').length * 3) / 4) : data.length;
  if (isBase64 && estimate > maxBytes) throw tooLarge(uri, maxBytes, estimate);
  let buffer: Buffer;
  if (isBase64) {
    const cleaned = data.includes('%') ? safeDecode(data, uri) : data;
    buffer = Buffer.from(cleaned.replace(/\s+/g, ''), 'base64');
  } else {
    buffer = percentDecodeBytes(data);
  }
  if (buffer.length > maxBytes) throw tooLarge(uri, maxBytes, buffer.length);
  return { buffer, contentType, fileName: defaultName(contentType), url: uri };
}

function safeDecode(s: string, uri: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new InputFetchError(`${uri.slice(0, 40)}… is not a valid data: URI (bad percent-encoding)`, uri, 'invalid_url');
  }
}

function percentDecodeBytes(s: string): Buffer {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x25 && i + 2 < raw.length && /^[0-9a-fA-F]{2}$/.test(String.fromCharCode(raw[i + 1]!, raw[i + 2]!))) {
      bytes.push(parseInt(String.fromCharCode(raw[i + 1]!, raw[i + 2]!), 16));
      i += 2;
    } else {
      bytes.push(c);
    }
  }
  return Buffer.from(bytes);
}

/** A `lookup` for http.request that only ever answers with the already-checked addresses. */
export function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_hostname: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { family?: number | string; all?: boolean };
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0);
    const list = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
    if (list.length === 0) {
      const err = Object.assign(new Error('no checked address of the requested family'), { code: 'ENOTFOUND' });
      return cb(err);
    }
    if (opts.all) return cb(null, list.map((a) => ({ address: a.address, family: a.family })));
    return cb(null, list[0]!.address, list[0]!.family);
  }) as LookupFunction;
}

interface Hop {
  status: number;
  headers: http.IncomingHttpHeaders;
  body?: Buffer;
}

function requestOnce(url: URL, addresses: ResolvedAddress[], opts: Required<Pick<FetchInputOptions, 'maxBytes'>> & FetchInputOptions, signal: AbortSignal): Promise<Hop> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<Hop>((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'GET',
        lookup: pinnedLookup(addresses),
        signal,
        headers: { 'user-agent': 'gantry-input-fetcher', accept: '*/*', ...(opts.headers ?? {}) },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          return resolve({ status, headers: res.headers });
        }
        if (status < 200 || status >= 300) {
          res.resume();
          return resolve({ status, headers: res.headers });
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > opts.maxBytes) {
          res.destroy();
          return reject(tooLarge(url.href, opts.maxBytes, declared));
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > opts.maxBytes) {
            res.destroy();
            reject(tooLarge(url.href, opts.maxBytes));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
        res.on('close', () => {
          if (!res.complete) reject(new Error('connection closed before the body was complete'));
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Fetches an input URL (http, https or data:). Returns the bytes, the content type and a file
 * name (from Content-Disposition, else the URL path, else `file.<ext>`).
 */
export async function fetchInput(input: string, options: FetchInputOptions = {}): Promise<FetchedInput> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  if (/^data:/i.test(input)) return decodeDataUri(input, maxBytes);

  const allow =
    options.allow === undefined
      ? allowListFromEnv()
      : typeof options.allow === 'string' || Array.isArray(options.allow)
        ? parseAllowList(options.allow as string | string[])
        : (options.allow as AllowList);
  const lookup = options.lookup ?? systemLookup;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;

  let current = input;
  for (let hop = 0; ; hop++) {
    let guarded;
    try {
      guarded = await guardUrl(current, { allow, lookup });
    } catch (err) {
      if (err instanceof UrlGuardError) {
        const prefix = hop > 0 ? `${input} redirected to ` : '';
        throw new InputFetchError(prefix + err.message, current, err.reason);
      }
      throw err;
    }
    let res: Hop;
    try {
      res = await requestOnce(guarded.url, guarded.addresses, { ...options, maxBytes }, signal);
    } catch (err) {
      if (err instanceof InputFetchError) throw err;
      if (timeout.aborted) throw new InputFetchError(`${current}: download timed out after ${timeoutMs} ms`, current, 'timeout');
      const e = err as Error & { code?: string };
      throw new InputFetchError(`${current}: download failed (${e.code ? `${e.code}: ` : ''}${e.message})`, current, 'network');
    }
    if (res.status >= 300 && res.status < 400 && res.headers.location) {
      if (hop >= MAX_REDIRECTS) {
        throw new InputFetchError(`${input}: more than ${MAX_REDIRECTS} redirects`, current, 'too_many_redirects');
      }
      current = new URL(res.headers.location, guarded.url).href;
      continue;
    }
    if (res.status < 200 || res.status >= 300 || !res.body) {
      throw new InputFetchError(`${current}: the server answered HTTP ${res.status}`, current, 'http_status', res.status);
    }
    const contentType = (res.headers['content-type'] as string | undefined) ?? 'application/octet-stream';
    return {
      buffer: res.body,
      contentType,
      fileName: fileNameFrom(res.headers['content-disposition'], guarded.url, contentType),
      url: guarded.url.href,
    };
  }
}
