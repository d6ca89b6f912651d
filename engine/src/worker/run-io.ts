/**
 * What goes into and comes out of a run, around the predictor itself:
 * - inputs: values of `format: uri` inputs that are engine file URLs are read from the file
 *   store (the stored file itself when the store is a local directory, a copy in the run's
 *   scratch directory otherwise), http(s) URLs are downloaded through the SSRF guard, data URIs
 *   pass as they are; the predictor gets a local absolute path (or the data URI);
 * - outputs: `{ $file }` refs are moved into the file store and replaced by signed URLs (a ref
 *   holds a path, or the bytes themselves: a Cog server's data-URL files, cog-files.ts);
 * - trainings: a fresh local weights directory, and on success its files stored (storage/weights.ts)
 *   and a new version of the destination whose weights are their location in the store.
 */
import type { ArtifactCacheSettings } from '../storage/artifact-cache';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Db } from '../store/db';
import type { VersionRow } from '../store/catalog';
import type { PredictionRow } from '../core/prediction';
import { engineFileId } from '../core/file-urls';
import { fetchInput, InputFetchError, safeName } from '../runners/fetch-input';
import { FileTooLargeError, type FileMeta, type FileStore } from '../files';
import { createVersion } from '../catalog';
import type { VersionSpec } from '../core/version-spec';
import { WeightsStore } from '../storage';

export interface RunIoOptions {
  db: Db;
  files: FileStore;
  dataDir: string;
  artifactCache?: ArtifactCacheSettings;
}

/** An input that cannot be used; the message names the input. */
export class RunInputError extends Error {}

export interface PreparedRun {
  input: Record<string, unknown>;
  outputDir?: string;
  /** Removes downloaded inputs; and the weights directory of a training that did not succeed. */
  cleanup(succeeded: boolean): Promise<void>;
}

type Schema = Record<string, unknown>;

/** Whether a property schema describes a URI (or a list of URIs). */
function uriKind(prop: Schema | undefined): 'one' | 'many' | undefined {
  if (!prop) return undefined;
  if (prop.format === 'uri') return 'one';
  const items = prop.items as Schema | undefined;
  if (prop.type === 'array' && items?.format === 'uri') return 'many';
  for (const alt of [...((prop.anyOf as Schema[]) ?? []), ...((prop.allOf as Schema[]) ?? [])]) {
    const k = uriKind(alt);
    if (k) return k;
  }
  return undefined;
}

function schemaProps(version: VersionRow, kind: PredictionRow['kind']): Record<string, Schema> {
  const schemas = ((version.openapi_schema.components ?? {}) as { schemas?: Record<string, Schema> }).schemas ?? {};
  const schema = kind === 'training' ? schemas.TrainingInput : schemas.Input;
  return (schema?.properties ?? {}) as Record<string, Schema>;
}

export class RunIo {
  /** Trained weights: published by trainings here, fetched for instances by the worker's pool. */
  readonly weights: WeightsStore;

  constructor(private readonly opts: RunIoOptions) {
    this.weights = new WeightsStore(opts.files.storage, opts.dataDir, opts.artifactCache);
  }

  async prepare(row: PredictionRow, version: VersionRow, signal?: AbortSignal): Promise<PreparedRun> {
    const scratch = join(this.opts.dataDir, 'tmp', row.id);
    let touched = false; // the scratch dir exists only once an input was downloaded into it
    const cleanup = async () => {
      if (touched) await rm(scratch, { recursive: true, force: true });
    };
    const input = { ...row.input };
    let n = 0;
    const resolveOne = async (name: string, value: unknown): Promise<unknown> => {
      if (typeof value !== 'string') return value;
      try {
        return await this.resolveUri(value, scratch, n++, signal, () => (touched = true));
      } catch (err) {
        throw new RunInputError(`input ${name}: ${(err as Error).message}`);
      }
    };
    try {
      for (const [name, prop] of Object.entries(schemaProps(version, row.kind))) {
        const kind = uriKind(prop);
        if (!kind || input[name] === undefined || input[name] === null) continue;
        input[name] = kind === 'many' && Array.isArray(input[name])
          ? await Promise.all((input[name] as unknown[]).map((v, i) => resolveOne(`${name}[${i}]`, v)))
          : await resolveOne(name, input[name]);
      }
    } catch (err) {
      await cleanup();
      throw err;
    }
    let outputDir: string | undefined;
    if (row.kind === 'training') outputDir = await this.weights.trainingDir(row.id);
    return {
      input,
      outputDir,
      async cleanup(succeeded) {
        await cleanup();
        if (!succeeded && outputDir) await rm(outputDir, { recursive: true, force: true });
      },
    };
  }

  private async resolveUri(value: string, scratch: string, n: number, signal: AbortSignal | undefined, onDisk: () => void): Promise<string> {
    const { files } = this.opts;
    if (/^data:/i.test(value)) return value;
    const fileId = engineFileId(value, files.publicUrl);
    if (fileId) {
      const file = await files.get(fileId);
      if (!file) throw new Error(`${value} is not a file of this engine (it does not exist or has expired)`);
      const local = files.localPath(file);
      if (local) return local;
      onDisk();
      const path = join(scratch, `${n}-${safeName(file.name) ?? 'file'}`);
      await files.copyTo(file, path);
      return path;
    }
    if (!/^https?:\/\//i.test(value)) throw new Error(`must be an http(s) URL, a data URI or a file URL of this engine, not ${JSON.stringify(value.slice(0, 80))}`);
    try {
      const fetched = await fetchInput(value, { maxBytes: files.maxBytes, signal });
      onDisk();
      await mkdir(scratch, { recursive: true });
      const path = join(scratch, `${n}-${fetched.fileName}`);
      await writeFile(path, fetched.buffer);
      return path;
    } catch (err) {
      if (err instanceof InputFetchError) throw new Error(err.message);
      throw err;
    }
  }

  /**
   * Replaces `{ $file }` refs (anywhere in the output) by signed download URLs of stored copies. A
   * ref names a file on disk (`path`, moved into the store) or holds its `bytes`, which are held to
   * the store's size limit: a file over it fails the run.
   */
  async storeOutputFiles(row: PredictionRow, output: unknown): Promise<unknown> {
    const { files } = this.opts;
    const visit = async (v: unknown): Promise<unknown> => {
      if (Array.isArray(v)) return Promise.all(v.map(visit));
      if (v && typeof v === 'object') {
        const ref = (v as { $file?: { path?: unknown; bytes?: unknown; content_type?: unknown; name?: unknown } }).$file;
        const bytes = ref && Buffer.isBuffer(ref.bytes) ? ref.bytes : undefined;
        if (ref && (typeof ref.path === 'string' || bytes) && Object.keys(v).length === 1) {
          const meta: FileMeta = {
            name: typeof ref.name === 'string' ? ref.name : 'output',
            contentType: typeof ref.content_type === 'string' ? ref.content_type : 'application/octet-stream',
            predictionId: row.id,
            tokenId: row.token_id,
          };
          const stored = bytes ? await this.storeBytes(bytes, meta) : await files.adoptFile(ref.path as string, meta);
          return files.downloadUrl(stored.id);
        }
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = await visit(x);
        return out;
      }
      return v;
    };
    return visit(output);
  }

  private async storeBytes(bytes: Buffer, meta: FileMeta) {
    const { files } = this.opts;
    try {
      return await files.record(await files.writeStream(Readable.from([bytes])), meta);
    } catch (err) {
      if (err instanceof FileTooLargeError) throw new Error(`the output file ${meta.name} is ${bytes.length} bytes, over the file size limit of ${err.limit} bytes`);
      throw err;
    }
  }

  /** After a successful training: its weights stored, and a new version of the destination that uses them. */
  async finishTraining(row: PredictionRow, version: VersionRow, output: unknown, outputDir: string): Promise<Record<string, unknown>> {
    if (!row.destination) throw new Error('the training has no destination model');
    const [owner, name] = row.destination.split('/');
    const weights = await this.weights.publish(row.id, outputDir);
    const spec: VersionSpec = {
      runner: version.runner as VersionSpec['runner'],
      hardware: version.hardware,
      max_concurrency: version.max_concurrency,
      pricing: version.pricing as VersionSpec['pricing'],
      weights,
      // The same schema: a server-described runner (a Cog command) is not booted again to read it.
      openapi_schema: version.openapi_schema,
      ...(version.gpu_count ? { gpu_count: version.gpu_count } : {}),
      ...(version.gpu_memory_gb ? { gpu_memory_gb: version.gpu_memory_gb } : {}),
    };
    const created = await createVersion(this.opts.db, owner, name, spec, { cogVersion: version.cog_version });
    const result = (output && typeof output === 'object' ? output : {}) as Record<string, unknown>;
    // Replicate's shape: the new version as `owner/name:id` (the Python client parses it so).
    return { ...result, version: `${owner}/${name}:${created.id}`, weights };
  }
}
