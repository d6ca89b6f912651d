/**
 * A Cog run's output files. Cog returns each file (a `Path` output) as a base64 data URL unless
 * the server runs with `--upload-url` (`data:image/png;base64,…`; the legacy Python server writes
 * `data:None;base64,…` when it cannot guess the type). Wherever one is in the output (the whole
 * output, a list item, an object value):
 * - a prediction's becomes a `{ $file }` ref holding the bytes, which the worker stores like a
 *   node predictor's output file and replaces with the engine's download URL (run-io.ts);
 * - a training's is written into the training's weights directory (the directory the engine keeps
 *   as the new version's weights), and the output names the file's path instead.
 * Names come from where the file is: `output.png`, `output_0.png` for list items, the key for an
 * object value (`weights.tar`). URLs (a server started with `--upload-url`) stay as they are.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
export interface OutputBytesRef {
  $file: { bytes: Buffer; content_type: string; name: string };
}

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

/** Replaces every data URL in `output` by what `onFile` makes of it, given a name without extension. */
async function replaceDataUrls(output: unknown, onFile: (file: DataUrlFile, base: string) => unknown): Promise<unknown> {
  const visit = async (value: unknown, base: string): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map((v, i) => visit(v, `${base}_${i}`)));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = await visit(v, k);
      return out;
    }
    const file = typeof value === 'string' ? decodeDataUrl(value) : undefined;
    return file ? onFile(file, base) : value;
  };
  return visit(output, 'output');
}

/** Keys come from the model: no dots or slashes, so no name can climb out of a directory. */
function safeBase(base: string): string {
  return base.replace(/[^a-zA-Z0-9_-]+/g, '_') || 'output';
}

/** A prediction's output with every data URL replaced by a `{ $file }` ref holding its bytes. */
export function outputFileRefs(output: unknown): Promise<unknown> {
  return replaceDataUrls(output, (file, base): OutputBytesRef => ({
    $file: { bytes: file.bytes, content_type: file.contentType, name: `${safeBase(base)}${extensionOf(file.contentType)}` },
  }));
}

/** Replaces every data URL in `output` by the path of its file in `dir`. */
export async function saveTrainingFiles(output: unknown, dir: string): Promise<unknown> {
  const used = new Set<string>();
  return replaceDataUrls(output, async (file, base) => {
    const safe = safeBase(base);
    const ext = extensionOf(file.contentType);
    let name = `${safe}${ext}`;
    for (let i = 1; used.has(name); i++) name = `${safe}-${i}${ext}`;
    used.add(name);
    const path = join(dir, name);
    await writeFile(path, file.bytes);
    return path;
  });
}
