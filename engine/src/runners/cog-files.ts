/**
 * A Cog training's output files, written into the training's weights directory (the directory the
 * engine keeps as the new version's weights). Cog returns files as base64 data URLs by default;
 * each becomes a file there, and the output names the file's path instead. URLs (a server started
 * with `--upload-url`) stay as they are: which of them are weights is not knowable from here.
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
  'application/octet-stream': '',
};

function extensionOf(mime: string): string {
  const known = EXTENSIONS[mime];
  if (known !== undefined) return known;
  const sub = mime.split('/')[1]?.split('+')[0]?.replace(/^x-/, '').replace(/[^a-z0-9]/gi, '');
  return sub ? `.${sub}` : '';
}

function decodeDataUrl(value: string): { mime: string; bytes: Buffer } | undefined {
  const m = /^data:([^,]*),(.*)$/s.exec(value);
  if (!m) return undefined;
  const params = m[1].split(';');
  const base64 = params.includes('base64');
  return { mime: params[0] || 'text/plain', bytes: base64 ? Buffer.from(m[2], 'base64') : Buffer.from(decodeURIComponent(m[2])) };
}

/** Replaces every data URL in `output` by the path of its file in `dir`; names come from the output's keys. */
export async function saveTrainingFiles(output: unknown, dir: string): Promise<unknown> {
  const used = new Set<string>();
  const fileName = (base: string, ext: string) => {
    // Keys come from the model: no dots, so no name can climb out of the directory.
    const safe = base.replace(/[^a-zA-Z0-9_-]+/g, '_') || 'output';
    let name = `${safe}${ext}`;
    for (let i = 1; used.has(name); i++) name = `${safe}-${i}${ext}`;
    used.add(name);
    return name;
  };
  const visit = async (value: unknown, key: string): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map((v, i) => visit(v, `${key}-${i}`)));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = await visit(v, k);
      return out;
    }
    if (typeof value !== 'string') return value;
    const data = decodeDataUrl(value);
    if (!data) return value;
    const path = join(dir, fileName(key, extensionOf(data.mime)));
    await writeFile(path, data.bytes);
    return path;
  };
  return visit(output, 'output');
}
