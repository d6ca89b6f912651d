/**
 * The S3-compatible adapter (AWS S3, MinIO, R2, …) on AWS SDK v3. Key `k` is object
 * `<prefix>k` in the bucket; a location is `s3://<bucket>/<prefix>k`. Puts stream through
 * lib-storage's Upload (one PutObject for small bodies, a multipart upload that is aborted on
 * failure for large ones), so no body is ever held whole in memory and a failed put leaves nothing.
 */
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentDisposition } from '../core/file-urls';
import { ByteMeter } from './meter';
import type { StorageSettings } from './settings';
import { checkKey, checkPrefix, SizeLimitError, StorageConfigError, StorageNotFoundError, type ObjectStorage, type PresignOptions, type PutOptions, type StoredObject } from './types';

type S3Settings = Extract<StorageSettings, { kind: 's3' }>;

/** Parts of a multipart upload: S3's minimum is 5 MiB; two in flight bound memory to 16 MiB a put. */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/** SDK errors of HEAD requests carry no message; say what came back. */
function describeError(err: unknown): string {
  const e = err as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
  const status = e.$metadata?.httpStatusCode;
  const text = e.message && e.message !== 'UnknownError' ? e.message : '';
  return [e.name, status ? `HTTP ${status}` : '', e.code ?? '', text].filter(Boolean).join(': ');
}

export class S3Storage implements ObjectStorage {
  readonly kind = 's3';
  private readonly client: S3Client;
  /** Signs download URLs for the endpoint clients reach (presigning makes no request). */
  private readonly signer: S3Client;

  constructor(private readonly settings: S3Settings) {
    const base: S3ClientConfig = {
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
    };
    this.client = new S3Client({ ...base, ...(settings.endpoint ? { endpoint: settings.endpoint } : {}) });
    const publicEndpoint = settings.publicEndpoint ?? settings.endpoint;
    this.signer = settings.publicEndpoint ? new S3Client({ ...base, endpoint: publicEndpoint }) : this.client;
  }

  get description(): string {
    const s = this.settings;
    return `s3://${s.bucket}/${s.prefix}${s.endpoint ? ` at ${s.endpoint}` : ''} (downloads: ${s.downloads})`;
  }

  private objectKey(key: string): string {
    return `${this.settings.prefix}${checkKey(key)}`;
  }

  refFor(key: string): string {
    return `s3://${this.settings.bucket}/${this.objectKey(key)}`;
  }

  keyOf(location: string): string | undefined {
    const head = `s3://${this.settings.bucket}/${this.settings.prefix}`;
    if (!location.startsWith(head) || location.length === head.length) return undefined;
    return location.slice(head.length);
  }

  localPath(): undefined {
    return undefined;
  }

  async put(key: string, source: Readable, opts: PutOptions = {}): Promise<StoredObject> {
    const meter = new ByteMeter(opts.maxBytes);
    // The source's errors reach the meter (and so the upload) through pipeline.
    const body = pipeline(source, meter, () => undefined);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: this.objectKey(key), Body: body, ContentType: opts.contentType },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      throw meter.exceeded ?? err;
    }
    return meter.result();
  }

  async putFile(key: string, sourcePath: string, opts: PutOptions = {}): Promise<StoredObject> {
    const { size } = await stat(sourcePath);
    if (opts.maxBytes !== undefined && size > opts.maxBytes) throw new SizeLimitError(opts.maxBytes);
    const stored = await this.put(key, createReadStream(sourcePath), opts);
    await rm(sourcePath, { force: true });
    return stored;
  }

  async get(key: string): Promise<Readable> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }));
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new StorageNotFoundError(key);
      throw err;
    }
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }));
      return { size: res.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }));
  }

  async list(prefix: string): Promise<Array<{ key: string; size: number }>> {
    const full = `${this.settings.prefix}${checkPrefix(prefix)}`;
    const out: Array<{ key: string; size: number }> = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: full, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (o.Key && !o.Key.endsWith('/')) out.push({ key: o.Key.slice(this.settings.prefix.length), size: o.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async presignedUrl(key: string, opts: PresignOptions): Promise<string | undefined> {
    if (this.settings.downloads === 'proxy') return undefined;
    const command = new GetObjectCommand({
      Bucket: this.settings.bucket,
      Key: this.objectKey(key),
      ...(opts.contentType ? { ResponseContentType: opts.contentType } : {}),
      ...(opts.fileName ? { ResponseContentDisposition: contentDisposition(opts.fileName) } : {}),
    });
    // SigV4 presigned URLs live at most 7 days.
    return getSignedUrl(this.signer, command, { expiresIn: Math.max(1, Math.min(Math.round(opts.ttlSeconds), 7 * 24 * 3600)) });
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
    } catch (err) {
      const where = this.settings.endpoint ?? `AWS (${this.settings.region})`;
      throw new StorageConfigError(`GANTRY_STORAGE_URL: bucket "${this.settings.bucket}" at ${where} cannot be used: ${describeError(err)}`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }
}
