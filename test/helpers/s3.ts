/**
 * An S3-compatible server for tests: s3rver (a fake S3 that speaks the S3 REST protocol: SigV4
 * requests, multipart uploads, presigned GETs, ListObjectsV2), on a free loopback port with its
 * data in a temporary directory. Real S3, MinIO and R2 cannot run here. It accepts the access key
 * `S3RVER` with secret `S3RVER`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');

export const S3_KEY = 'S3RVER';
export const S3_SECRET = 'S3RVER';

export interface S3Handle {
  endpoint: string;
  /** The GANTRY_STORAGE_URL of `bucket` (credentials in the URL unless `credentials: false`). */
  storageUrl(bucket: string, prefix?: string, opts?: { credentials?: boolean; extra?: string }): string;
  /** A client of its own, to look into buckets behind the engine's back. */
  client: S3Client;
  keys(bucket: string, prefix?: string): Promise<string[]>;
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
  remove(bucket: string, key: string): Promise<void>;
  close(): Promise<void>;
}

export async function startS3(buckets: string[]): Promise<S3Handle> {
  const directory = mkdtempSync(join(tmpdir(), 'gantry-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: S3_KEY, secretAccessKey: S3_SECRET } });
  return {
    endpoint,
    client,
    storageUrl(bucket, prefix = '', opts = {}) {
      const auth = opts.credentials === false ? '' : `${S3_KEY}:${S3_SECRET}@`;
      return `s3://${auth}${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&force_path_style=true${opts.extra ?? ''}`;
    },
    async keys(bucket, prefix = '') {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        out.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort();
    },
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async remove(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
