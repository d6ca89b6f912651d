/**
 * The file store: bytes on disk under `<data dir>/files/<id>`, rows in `files`, signed download
 * URLs. Used by the files API (uploads), the worker (input files, output files) and downloads.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Db } from './store/db';
import { deleteExpiredFiles, deleteFile, getFile, getOrCreateSecret, insertFile, type FileRow } from './store/files';
import { newId } from './core/ids';
import { checkDownloadSignature, signedDownloadUrl, type DownloadCheck } from './core/file-urls';

export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
export const DEFAULT_FILE_TTL_SECONDS = 24 * 3600;

export interface FileStoreOptions {
  dataDir: string;
  /** Base of URLs in responses; a function because it is known only once the server listens. */
  publicUrl: () => string;
  maxBytes?: number;
  /** Lifetime of uploaded and produced files, and of signed download URLs. */
  ttlSeconds?: number;
}

export class FileTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Files must be at most ${limit} bytes (${Math.round(limit / 1024 / 1024)} MiB).`);
  }
}

export interface FileMeta {
  name: string;
  contentType: string;
  metadata?: Record<string, unknown>;
  predictionId?: string | null;
  tokenId?: string | null;
}

export interface WrittenFile {
  id: string;
  path: string;
  size: number;
  sha256: string;
}

export class FileStore {
  readonly dir: string;
  readonly maxBytes: number;
  readonly ttlSeconds: number;
  private secret?: Promise<string>;

  constructor(private readonly db: Db, private readonly opts: FileStoreOptions) {
    this.dir = join(opts.dataDir, 'files');
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

  /** Streams `source` to disk, hashing as it goes; `record` makes it a file. Throws FileTooLargeError past the limit. */
  async writeStream(source: Readable): Promise<WrittenFile> {
    await mkdir(this.dir, { recursive: true });
    const id = newId();
    const path = join(this.dir, id);
    const hash = createHash('sha256');
    let size = 0;
    const limit = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > limit) return done(new FileTooLargeError(limit));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // A multipart parser destroys the part's stream when the body ends inside it, possibly before
    // we got here; piping a destroyed stream would wait forever.
    if (source.destroyed && !source.readableEnded) throw new Error('the request body ended inside the file part');
    try {
      await pipeline(source, meter, createWriteStream(path, { mode: 0o600 }));
      // @fastify/multipart may truncate at its own limit instead of failing.
      if ((source as Readable & { truncated?: boolean }).truncated) throw new FileTooLargeError(limit);
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
    return { id, path, size, sha256: hash.digest('hex') };
  }

  /** Removes bytes written by `writeStream` that never became a file. */
  async discard(written: WrittenFile): Promise<void> {
    await rm(written.path, { force: true });
  }

  /** Moves (or copies, across devices) a file a predictor wrote into the store. */
  async adoptFile(sourcePath: string, meta: FileMeta): Promise<FileRow> {
    await mkdir(this.dir, { recursive: true });
    const id = newId();
    const path = join(this.dir, id);
    try {
      await rename(sourcePath, path);
    } catch {
      await copyFile(sourcePath, path);
    }
    const { size } = await stat(path);
    const hash = createHash('sha256');
    await pipeline(createReadStream(path), hash);
    return this.record({ id, path, size, sha256: hash.digest('hex') }, meta);
  }

  async record(written: WrittenFile, meta: FileMeta): Promise<FileRow> {
    const { id, path, size, sha256 } = written;
    return insertFile(this.db, {
      id,
      name: meta.name,
      content_type: meta.contentType,
      size,
      sha256,
      path,
      metadata: meta.metadata ?? {},
      prediction_id: meta.predictionId ?? null,
      token_id: meta.tokenId ?? null,
      expiresInSeconds: this.ttlSeconds,
    });
  }

  get(id: string): Promise<FileRow | undefined> {
    return getFile(this.db, id);
  }

  async delete(id: string): Promise<boolean> {
    const row = await deleteFile(this.db, id);
    if (row) await rm(row.path, { force: true });
    return !!row;
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
    for (const r of rows) await rm(r.path, { force: true });
    return rows.length;
  }
}
