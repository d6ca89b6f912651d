/**
 * One storage interface for files (uploads, output files) and weights, whatever holds the bytes:
 * a local directory (local.ts, the embedded default) or an S3-compatible bucket (s3.ts).
 *
 * Terminology:
 * - key: a store-relative name with `/` separators (`files/<id>`, `weights/<training>/model.bin`).
 * - location: where a key's bytes live, as rows and versions record it (`refFor`): an absolute
 *   path for a local directory, `s3://<bucket>/<prefix><key>` for a bucket. A location names one
 *   store; `keyOf` reads it back, and anything that is not one of this store's locations (a path
 *   a user gave as a version's weights, a model name) is left alone by callers.
 */
import type { Readable } from 'node:stream';

export interface StoredObject {
  size: number;
  /** Hex sha256 of the bytes, computed while they were written. */
  sha256: string;
}

export interface PutOptions {
  /** Writing more than this many bytes fails with SizeLimitError and leaves nothing behind. */
  maxBytes?: number;
  contentType?: string;
}

export interface PresignOptions {
  ttlSeconds: number;
  /** Name and type the response carries (Content-Disposition, Content-Type). */
  fileName?: string;
  contentType?: string;
}

export interface ObjectStorage {
  readonly kind: 'local' | 's3';
  /** A human-readable description for logs (`directory /srv/gantry`, `s3://bucket/prefix at http://minio:9000`). */
  readonly description: string;

  /** The location of `key` (see Terminology). Pure. */
  refFor(key: string): string;
  /** The key of one of this store's locations; undefined for anything else. Pure. */
  keyOf(location: string): string | undefined;

  /**
   * Writes `source` as `key`, replacing what was there. Atomic: readers see the old bytes or all
   * of the new ones, never a part; on any failure (the source errors, the size limit) nothing is
   * left under `key`'s name. Resolves with the size and sha256 of what was written.
   */
  put(key: string, source: Readable, opts?: PutOptions): Promise<StoredObject>;
  /** Moves a local file into the store as `key` (the source file is gone afterwards). */
  putFile(key: string, sourcePath: string, opts?: PutOptions): Promise<StoredObject>;
  /** The bytes of `key`. Rejects with StorageNotFoundError when there is no such object. */
  get(key: string): Promise<Readable>;
  /** Size of `key`, or undefined when there is no such object. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Deletes `key`. Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix` (a string prefix, as in S3; '' lists all), in no set order. */
  list(prefix: string): Promise<Array<{ key: string; size: number }>>;
  /**
   * A URL anyone holding it can download `key` from, valid `ttlSeconds`; undefined when this store
   * hands out no direct URLs (a local directory, or a bucket set to proxy downloads): the engine
   * then streams the bytes itself.
   */
  presignedUrl(key: string, opts: PresignOptions): Promise<string | undefined>;
  /** The local path holding `key` when the store is a local directory (no copy needed); else undefined. */
  localPath(key: string): string | undefined;

  /** Checks at start that the store is usable (the directory is writable, the bucket answers). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** Writing more bytes than a put's `maxBytes`. */
export class SizeLimitError extends Error {
  constructor(readonly limit: number) {
    super(`Files must be at most ${limit} bytes (${Math.round(limit / 1024 / 1024)} MiB).`);
  }
}

export class StorageNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no object ${key} in the store`);
  }
}

/**
 * GANTRY_STORAGE_URL is malformed or names a store that cannot be used; the message names the
 * variable, and `gantry` exits with status 2 as for any other bad setting.
 */
export class StorageConfigError extends Error {
  readonly name = 'StorageConfigError';
}

/**
 * Keys are internal (ids, relative paths inside a training's weights directory) but still checked:
 * no empty, `.` or `..` segment, no backslash or NUL, so a key can never leave its store.
 */
export function checkKey(key: string): string {
  const segments = key.split('/');
  if (key === '' || /[\\\0]/.test(key) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`invalid storage key ${JSON.stringify(key)}`);
  }
  return key;
}

/** A list prefix: '' (everything) or a checked key ending with `/`. */
export function checkPrefix(prefix: string): string {
  if (prefix !== '') checkKey(prefix.replace(/\/$/, ''));
  return prefix;
}
