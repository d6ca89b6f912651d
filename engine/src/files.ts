/**
 * The file store: bytes in the configured storage (`files/<id>`, see storage/), rows in `files`,
 * signed download URLs. Used by the files API (uploads), the worker (input files, output files),
 * downloads, data retention and the TTL sweep. A row's `path` is the bytes' location in the store
 * (an absolute path for a local directory, `s3://…` for a bucket).
 */
import { createWriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from './store/db';
import { deleteExpiredFiles, deleteFile, getFile, getOrCreateSecret, insertFile, type FileRow } from './store/files';
import { newId } from './core/ids';
import { checkDownloadSignature, signedDownloadUrl, type DownloadCheck } from './core/file-urls';
import { SizeLimitError, StorageNotFoundError, type ObjectStorage } from './storage';

export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
export const DEFAULT_FILE_TTL_SECONDS = 24 * 3600;
/** How often expired files are swept: every minute, or as often as they expire when they live less. */
export function fileSweepMs(ttlSeconds: number): number {
  return Math.max(1000, Math.min(60_000, ttlSeconds * 1000));
}

/** A redirect to the store needs to be valid only while the client follows it. */
const PRESIGNED_TTL_SECONDS = 600;

export interface FileStoreOptions {
  storage: ObjectStorage;
  /** Base of URLs in responses; a function because it is known only once the server listens. */
  publicUrl: () => string;
  maxBytes?: number;
  /** Lifetime of uploaded and produced files, and of signed download URLs. */
  ttlSeconds?: number;
}

/** Uploads and output files over the size limit (the storage's limit error, under the name callers know). */
export { SizeLimitError as FileTooLargeError };

export interface FileMeta {
  name: string;
  contentType: string;
  metadata?: Record<string, unknown>;
  predictionId?: string | null;
  tokenId?: string | null;
}

/** Bytes in the store that are not a file (a row) yet. */
export interface WrittenFile {
  id: string;
  key: string;
  size: number;
  sha256: string;
}

/** How a signed download is answered: a redirect to the store, or the bytes themselves. */
export type DownloadTarget = { redirect: string } | { stream: Readable };

export class FileStore {
  readonly storage: ObjectStorage;
  readonly maxBytes: number;
  readonly ttlSeconds: number;
  private secret?: Promise<string>;

  constructor(private readonly db: Db, private readonly opts: FileStoreOptions) {
    this.storage = opts.storage;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.ttlSeconds = opts.ttlSeconds ?? DEFAULT_FILE_TTL_SECONDS;
  }

  get publicUrl(): string {
    return this.opts.publicUrl();
  }

  private signingKey(): Promise<string> {
    this.secret ??= getOrCreateSecret(this.db, 'file_urls');
    this.secret.catch(() => (this.secret = undefined));
    return this.secret;
  }

  /** The store key of a row's bytes; undefined when they are not in this engine's store. */
  private keyOf(row: Pick<FileRow, 'path'>): string | undefined {
    return this.storage.keyOf(row.path);
  }

  /** Streams `source` into the store, hashing as it goes; `record` makes it a file. Throws FileTooLargeError past the limit. */
  async writeStream(source: Readable): Promise<WrittenFile> {
    const id = newId();
    const key = `files/${id}`;
    // A multipart parser destroys the part's stream when the body ends inside it, possibly before
    // we got here; piping a destroyed stream would wait forever.
    if (source.destroyed && !source.readableEnded) throw new Error('the request body ended inside the file part');
    // …and it may be destroyed later, while the store is still getting ready: joined to a pass-through
    // now, such an end fails the write (premature close) instead of leaving it waiting.
    const guarded = new PassThrough();
    pipeline(source, guarded).catch(() => undefined);
    const stored = await this.storage.put(key, guarded, { maxBytes: this.maxBytes });
    // @fastify/multipart may truncate at its own limit instead of failing.
    if ((source as Readable & { truncated?: boolean }).truncated) {
      await this.storage.delete(key);
      throw new SizeLimitError(this.maxBytes);
    }
    return { id, key, ...stored };
  }

  /** Removes bytes written by `writeStream` that never became a file. */
  async discard(written: WrittenFile): Promise<void> {
    await this.storage.delete(written.key);
  }

  /** Moves a file a predictor wrote into the store. */
  async adoptFile(sourcePath: string, meta: FileMeta): Promise<FileRow> {
    const id = newId();
    const key = `files/${id}`;
    const stored = await this.storage.putFile(key, sourcePath, { contentType: meta.contentType });
    return this.record({ id, key, ...stored }, meta);
  }

  async record(written: WrittenFile, meta: FileMeta): Promise<FileRow> {
    const { id, key, size, sha256 } = written;
    return insertFile(this.db, {
      id,
      name: meta.name,
      content_type: meta.contentType,
      size,
      sha256,
      path: this.storage.refFor(key),
      metadata: meta.metadata ?? {},
      prediction_id: meta.predictionId ?? null,
      token_id: meta.tokenId ?? null,
      expiresInSeconds: this.ttlSeconds,
    });
  }

  get(id: string): Promise<FileRow | undefined> {
    return getFile(this.db, id);
  }

  /** The file's bytes on this host without a copy, when the store is a local directory. */
  localPath(row: FileRow): string | undefined {
    const key = this.keyOf(row);
    return key === undefined ? undefined : this.storage.localPath(key);
  }

  /** The file's bytes; undefined when they are gone (or in a store this engine is not configured with). */
  async open(row: FileRow): Promise<Readable | undefined> {
    const key = this.keyOf(row);
    if (key === undefined) return undefined;
    try {
      return await this.storage.get(key);
    } catch (err) {
      if (err instanceof StorageNotFoundError) return undefined;
      throw err;
    }
  }

  /** Copies the file's bytes to a local path (a worker's input on another host than the bytes). */
  async copyTo(row: FileRow, path: string): Promise<void> {
    const bytes = await this.open(row);
    if (!bytes) throw new Error(`the bytes of file ${row.id} are missing from the store`);
    await mkdir(dirname(path), { recursive: true });
    await pipeline(bytes, createWriteStream(path, { mode: 0o600 }));
  }

  /** A presigned store URL when the store gives them (S3 with downloads=redirect), else the bytes. */
  async downloadTarget(row: FileRow): Promise<DownloadTarget | undefined> {
    const key = this.keyOf(row);
    if (key === undefined) return undefined;
    const expiresIn = row.expires_at ? Math.max(1, (row.expires_at.getTime() - Date.now()) / 1000) : PRESIGNED_TTL_SECONDS;
    const url = await this.storage.presignedUrl(key, { ttlSeconds: Math.min(PRESIGNED_TTL_SECONDS, expiresIn), fileName: row.name, contentType: row.content_type });
    if (url) return { redirect: url };
    const stream = await this.open(row);
    return stream && { stream };
  }

  async delete(id: string): Promise<boolean> {
    const row = await deleteFile(this.db, id);
    if (row) await this.deleteBytes([row.path]);
    return !!row;
  }

  /** Deletes the bytes at these locations (rows already gone: data retention, the sweep). */
  async deleteBytes(locations: string[]): Promise<void> {
    for (const location of locations) {
      const key = this.storage.keyOf(location);
      if (key !== undefined) await this.storage.delete(key);
    }
  }

  async downloadUrl(id: string, ttlSeconds = this.ttlSeconds): Promise<string> {
    return signedDownloadUrl(this.publicUrl, await this.signingKey(), id, ttlSeconds);
  }

  async checkDownload(id: string, expires: unknown, sig: unknown): Promise<DownloadCheck> {
    return checkDownloadSignature(await this.signingKey(), id, expires, sig);
  }

  /** Replicate's file object. */
  async toWire(row: FileRow): Promise<Record<string, unknown>> {
    return {
      id: row.id,
      name: row.name,
      content_type: row.content_type,
      size: Number(row.size),
      etag: `"${row.sha256}"`,
      checksums: { sha256: row.sha256 },
      metadata: row.metadata,
      created_at: row.created_at.toISOString(),
      expires_at: row.expires_at ? row.expires_at.toISOString() : null,
      urls: { get: `${this.publicUrl}/v1/files/${row.id}`, download: await this.downloadUrl(row.id) },
    };
  }

  /** Deletes expired files (rows and bytes). */
  async sweep(): Promise<number> {
    const rows = await deleteExpiredFiles(this.db);
    await this.deleteBytes(rows.map((r) => r.path));
    return rows.length;
  }
}
