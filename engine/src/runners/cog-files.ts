/**
 * A Cog run's output files, as they arrive in each mode of the server:
 * - a base64 data URL (`data:image/png;base64,…`): a synchronous prediction, or any prediction on
 *   coglet without an upload URL (the legacy Python server writes `data:None;base64,…` when it
 *   cannot guess the type);
 * - the URL of a file the server PUT to this instance's receiver: an async prediction of a server
 *   started with `--upload-url={upload_url}` (cog-receiver.ts);
 * - a bare path on the server's own machine: an async prediction of the legacy server without an
 *   upload URL. Unusable (the file is in its container), so the run fails with a clear error,
 *   found by the version's schema (a string where the Output has `format: uri`).
 * Wherever a file is in the output (the whole output, a list item, an object value):
 * - a prediction's becomes a `{ $file }` ref (its bytes or its path), which the worker stores like
 *   a node predictor's output file and replaces with the engine's download URL (run-io.ts);
 * - a training's is written into the training's weights directory (the directory the engine keeps
 *   as the new version's weights), and the output names the file's path instead.
 * Names of data-URL files come from where the file is: `output.png`, `output_0.png` for list
 * items, the key for an object value (`weights.tar`); uploaded files keep the server's name.
 * Other URLs stay as they are.
 */
import { copyFile, rename, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { UploadedFile } from './cog-receiver';

const EXTENSIONS: Record<string, string> = {
  'application/x-tar': '.tar',
  'application/tar': '.tar',
  'application/gzip': '.gz',
  'application/x-gzip': '.gz',
  'application/zip': '.zip',
  'application/json': '.json',
  'application/jsonl': '.jsonl',
  'text/plain': '.txt',
  'image/jpeg': '.jpg',
  'image/svg+xml': '.svg',
  'audio/mpeg': '.mp3',
  'application/octet-stream': '',
};

/** A file in a prediction's output, for the worker to store (see `storeOutputFiles`). */
export type OutputFileRef =
  | { $file: { bytes: Buffer; content_type: string; name: string } }
  | { $file: { path: string; content_type: string; name: string } };

interface DataUrlFile {
  contentType: string;
  bytes: Buffer;
}

function extensionOf(contentType: string): string {
  const mime = contentType.split(';')[0].trim().toLowerCase();
  const known = EXTENSIONS[mime];
  if (known !== undefined) return known;
  const sub = mime.split('/')[1]?.split('+')[0]?.replace(/^x-/, '').replace(/[^a-z0-9]/gi, '');
  return sub ? `.${sub}` : '';
}

/** `data:<type>[;param=value…];base64,<base64>`, as Cog writes files; anything else is not a file. */
const DATA_URL = /^data:([^\s,;]*)((?:;[^\s,;]+=[^\s,;]*)*);base64,/i;

function decodeDataUrl(value: string): DataUrlFile | undefined {
  const m = DATA_URL.exec(value);
  if (!m) return undefined;
  const body = value.slice(m[0].length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  const type = m[1] && m[1] !== 'None' ? `${m[1]}${m[2]}` : 'application/octet-stream';
  return { contentType: type, bytes: Buffer.from(body, 'base64') };
}

/** Where a Cog run's files come from besides data URLs, and where the schema says files are. */
export interface FileSources {
  /** The file the server uploaded to this instance (`--upload-url`) that an output URL names. */
  uploaded?(url: string): UploadedFile | undefined;
  /** The version's `components.schemas`, to find the file positions of `root`. */
  schemas?: Record<string, unknown>;
  /** `Output` for predictions, `TrainingOutput` for trainings. */
  root: 'Output' | 'TrainingOutput';
}

/** A file output that arrived as a path on the Cog server's own machine: it cannot be used. */
export class BarePathError extends Error {
  constructor(readonly path: string) {
    super(
      `the Cog server returned the output file ${JSON.stringify(path.slice(0, 200))} as a path on its own machine; ` +
        'the legacy Cog server does that for async predictions when it runs without --upload-url: start it with ' +
        '--upload-url={upload_url} in the runner command, or use mode "sync"',
    );
  }
}

type SchemaNode = Record<string, unknown> | undefined;

/** Follows `$ref`, and single-branch `allOf` (how pydantic 1 wraps a `$ref` with a title). */
function resolve(node: SchemaNode, schemas: Record<string, unknown>, depth = 0): SchemaNode {
  if (!node || depth > 16) return node;
  const ref = typeof node.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(node.$ref) : null;
  if (ref) return resolve(schemas[ref[1]] as SchemaNode, schemas, depth + 1);
  const all = node.allOf as SchemaNode[] | undefined;
  if (Array.isArray(all) && all.length === 1) return resolve(all[0], schemas, depth + 1);
  return node;
}

/** Whether a schema node is a file (`format: uri`), also as one branch of an `anyOf`/`oneOf` (Optional[Path]). */
function isFile(node: SchemaNode, schemas: Record<string, unknown>): boolean {
  const n = resolve(node, schemas);
  if (!n) return false;
  if (n.format === 'uri') return true;
  const branches = [...((n.anyOf as SchemaNode[]) ?? []), ...((n.oneOf as SchemaNode[]) ?? [])];
  return branches.some((b) => resolve(b, schemas)?.format === 'uri');
}

function childSchema(node: SchemaNode, key: string | number, schemas: Record<string, unknown>): SchemaNode {
  const n = resolve(node, schemas);
  if (!n) return undefined;
  if (typeof key === 'number') return n.items as SchemaNode;
  return ((n.properties as Record<string, SchemaNode> | undefined) ?? {})[key];
}

/** A URL or data URL (`scheme:`), as opposed to a path. */
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

type FileFound = { kind: 'data'; file: DataUrlFile } | { kind: 'upload'; file: UploadedFile };

/**
 * Replaces every file in `output` (a data URL, or a URL of a file the server uploaded here) by
 * what `onFile` makes of it, given a name without extension. A string where the schema says a
 * file goes that is neither a URL nor a data URL is a path on the server's machine: BarePathError.
 */
async function replaceFiles(output: unknown, sources: FileSources, onFile: (found: FileFound, base: string) => unknown): Promise<unknown> {
  const schemas = sources.schemas ?? {};
  const visit = async (value: unknown, base: string, schema: SchemaNode): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map((v, i) => visit(v, `${base}_${i}`, childSchema(schema, i, schemas))));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = await visit(v, k, childSchema(schema, k, schemas));
      return out;
    }
    if (typeof value !== 'string') return value;
    const data = decodeDataUrl(value);
    if (data) return onFile({ kind: 'data', file: data }, base);
    const uploaded = sources.uploaded?.(value);
    if (uploaded) return onFile({ kind: 'upload', file: uploaded }, base);
    if (!HAS_SCHEME.test(value) && isFile(schema, schemas)) throw new BarePathError(value);
    return value;
  };
  return visit(output, 'output', schemas[sources.root] as SchemaNode);
}

/** Keys come from the model: no dots or slashes, so no name can climb out of a directory. */
function safeBase(base: string): string {
  return base.replace(/[^a-zA-Z0-9_-]+/g, '_') || 'output';
}

/**
 * A prediction's output with every file replaced by a `{ $file }` ref: the bytes of a data URL,
 * or the path of an uploaded file (named as the server named it).
 */
export function outputFileRefs(output: unknown, sources: FileSources): Promise<unknown> {
  return replaceFiles(output, sources, (found, base): OutputFileRef => {
    if (found.kind === 'upload') return { $file: { path: found.file.path, content_type: found.file.contentType, name: found.file.name } };
    const { file } = found;
    return { $file: { bytes: file.bytes, content_type: file.contentType, name: `${safeBase(base)}${extensionOf(file.contentType)}` } };
  });
}

/** Replaces every file in `output` by the path of its copy in `dir`. */
export async function saveTrainingFiles(output: unknown, dir: string, sources: FileSources): Promise<unknown> {
  const used = new Set<string>();
  return replaceFiles(output, sources, async (found, base) => {
    const safe = safeBase(base);
    const ext = found.kind === 'data' ? extensionOf(found.file.contentType) : extname(found.file.name);
    let name = `${safe}${ext}`;
    for (let i = 1; used.has(name); i++) name = `${safe}-${i}${ext}`;
    used.add(name);
    const path = join(dir, name);
    if (found.kind === 'data') await writeFile(path, found.file.bytes);
    else await rename(found.file.path, path).catch(() => copyFile(found.file.path, path));
    return path;
  });
}
