/**
 * The local-directory adapter (the embedded default, rooted at the data dir): key `files/<id>`
 * is `<root>/files/<id>`, exactly where files lived before the storage interface existed, and a
 * location is the absolute path. Writes go to a temporary name beside the target, then rename.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, copyFile, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ByteMeter } from './meter';
import { checkKey, checkPrefix, SizeLimitError, StorageConfigError, StorageNotFoundError, type ObjectStorage, type PutOptions, type StoredObject } from './types';

/** Suffix of files being written; they are never listed. */
const PARTIAL = '.partial';

function isMissing(err: unknown): boolean {
  return (err as { code?: string }).code === 'ENOENT' || (err as { code?: string }).code === 'ENOTDIR';
}

export class LocalStorage implements ObjectStorage {
  readonly kind = 'local';

  constructor(readonly root: string) {}

  get description(): string {
    return `directory ${this.root}`;
  }

  private pathOf(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  refFor(key: string): string {
    return this.pathOf(key);
  }

  keyOf(location: string): string | undefined {
    if (!isAbsolute(location)) return undefined;
    const rel = relative(this.root, location);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
    return rel.split(sep).join('/');
  }

  localPath(key: string): string {
    return this.pathOf(key);
  }

  async put(key: string, source: Readable, opts: PutOptions = {}): Promise<StoredObject> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}${PARTIAL}`;
    const meter = new ByteMeter(opts.maxBytes);
    try {
      await pipeline(source, meter, createWriteStream(temp, { mode: 0o600 }));
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw meter.exceeded ?? err;
    }
    return meter.result();
  }

  async putFile(key: string, sourcePath: string, opts: PutOptions = {}): Promise<StoredObject> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const { size } = await stat(sourcePath);
    if (opts.maxBytes !== undefined && size > opts.maxBytes) throw new SizeLimitError(opts.maxBytes);
    try {
      await rename(sourcePath, path);
    } catch {
      // Another file system: copy to a temporary name, then rename, so the target is never partial.
      const temp = `${path}.${randomBytes(6).toString('hex')}${PARTIAL}`;
      await copyFile(sourcePath, temp);
      await rename(temp, path);
      await rm(sourcePath, { force: true });
    }
    const hash = createHash('sha256');
    await pipeline(createReadStream(path), hash);
    return { size, sha256: hash.digest('hex') };
  }

  async get(key: string): Promise<Readable> {
    try {
      const handle = await open(this.pathOf(key), 'r');
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        throw new StorageNotFoundError(key);
      }
      return handle.createReadStream();
    } catch (err) {
      if (isMissing(err) || (err as { code?: string }).code === 'EISDIR') throw new StorageNotFoundError(key);
      throw err;
    }
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(this.pathOf(key));
      return s.isFile() ? { size: s.size } : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async list(prefix: string): Promise<Array<{ key: string; size: number }>> {
    checkPrefix(prefix);
    // A prefix names a directory here ('weights/abc/'), or a name start inside one ('files/ab').
    const slash = prefix.lastIndexOf('/');
    const dirKey = prefix.slice(0, slash + 1);
    const out: Array<{ key: string; size: number }> = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) return;
        throw err;
      }
      for (const e of entries) {
        const key = `${keyPrefix}${e.name}`;
        if (e.isDirectory()) await walk(join(dir, e.name), `${key}/`);
        else if (e.isFile() && !e.name.endsWith(PARTIAL) && key.startsWith(prefix)) {
          out.push({ key, size: (await stat(join(dir, e.name))).size });
        }
      }
    };
    await walk(dirKey === '' ? this.root : join(this.root, ...dirKey.slice(0, -1).split('/')), dirKey);
    return out;
  }

  async presignedUrl(): Promise<undefined> {
    return undefined;
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.W_OK);
    } catch (err) {
      throw new StorageConfigError(`GANTRY_STORAGE_URL: the storage directory ${this.root} is not writable: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {}
}
