/**
 * Trained weights in the store. A training writes into a local directory (`trainingDir`);
 * `publish` stores its files as `weights/<training id>/<path>` plus a manifest (path, size,
 * sha256 of each file) and returns the location the new version records as its weights. A worker
 * that boots that version gets a local copy through `localPath`: the store's own directory when
 * the store is local, else a copy downloaded once per host into `<data dir>/cache/<key>` and
 * checked against the manifest.
 *
 * A version's weights may also be anything else a user gave (a path on the worker, a model name
 * an OpenAI-compatible server understands): those are passed on untouched.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ByteMeter } from './meter';
import { checkKey, type ObjectStorage, type StoredObject } from './types';

interface Manifest {
  files: Array<{ path: string } & StoredObject>;
}

const manifestKey = (key: string) => `${key}.manifest.json`;
const PARTIAL = '.partial';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Relative paths (with `/`) of the regular files under `dir`. */
async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, path)));
    else if (e.isFile()) out.push(path);
  }
  return out;
}

export class WeightsStore {
  private readonly downloads = new Map<string, Promise<string>>();
  private readonly cacheDir: string;
  private readonly scratchDir: string;

  constructor(
    private readonly storage: ObjectStorage,
    dataDir: string,
  ) {
    this.cacheDir = join(dataDir, 'cache');
    this.scratchDir = join(dataDir, 'tmp', 'trainings');
  }

  private keyFor(trainingId: string): string {
    return `weights/${checkKey(trainingId)}`;
  }

  private cachePath(key: string): string {
    return join(this.cacheDir, ...key.split('/'));
  }

  /** A fresh, empty local directory for a training to write its weights into. */
  async trainingDir(trainingId: string): Promise<string> {
    const dir = this.storage.localPath(this.keyFor(trainingId)) ?? join(this.scratchDir, trainingId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Stores what a training wrote into `dir`; resolves with the location its new version records. */
  async publish(trainingId: string, dir: string): Promise<string> {
    const key = this.keyFor(trainingId);
    if (this.storage.localPath(key) === dir) return this.storage.refFor(key); // written in place
    const manifest: Manifest = { files: [] };
    for (const path of await filesUnder(dir)) {
      const stored = await this.storage.put(`${key}/${path}`, createReadStream(join(dir, path)));
      manifest.files.push({ path, ...stored });
    }
    // Written last: its presence says every file is there.
    await this.storage.put(manifestKey(key), Readable.from([JSON.stringify(manifest)]), { contentType: 'application/json' });
    // This host keeps what it trained as its cached copy: running the new version here needs no download.
    await this.adopt(dir, this.cachePath(key));
    return this.storage.refFor(key);
  }

  /** Whether `localPath` has to download these weights (they are in a remote store). */
  needsFetch(location: string): boolean {
    const key = this.storage.keyOf(location);
    return key !== undefined && this.storage.localPath(key) === undefined;
  }

  /** A local path holding the weights at `location` (see the module comment). */
  async localPath(location: string): Promise<string> {
    const key = this.storage.keyOf(location);
    if (key === undefined) return location;
    const direct = this.storage.localPath(key);
    if (direct) return direct;
    const target = this.cachePath(key);
    if (await exists(target)) return target;
    let download = this.downloads.get(key);
    if (!download) {
      download = this.download(key, target).finally(() => this.downloads.delete(key));
      this.downloads.set(key, download);
    }
    return download;
  }

  private async download(key: string, target: string): Promise<string> {
    const temp = `${target}.${randomBytes(6).toString('hex')}${PARTIAL}`;
    try {
      const manifest = await this.readManifest(key);
      if (manifest) {
        await mkdir(temp, { recursive: true });
        for (const f of manifest.files) await this.fetch(`${key}/${checkKey(f.path)}`, join(temp, ...f.path.split('/')), f);
      } else {
        // Not published by a training (a location a user gave): a "directory" of objects, or one object.
        const objects = await this.storage.list(`${key}/`);
        if (objects.length > 0) {
          await mkdir(temp, { recursive: true });
          for (const o of objects) await this.fetch(o.key, join(temp, ...o.key.slice(key.length + 1).split('/')));
        } else if (await this.storage.stat(key)) {
          await this.fetch(key, temp);
        } else {
          throw new Error(`weights ${this.storage.refFor(key)} are not in the store`);
        }
      }
      await this.adopt(temp, target);
      return target;
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  private async readManifest(key: string): Promise<Manifest | undefined> {
    if (!(await this.storage.stat(manifestKey(key)))) return undefined;
    const chunks: Buffer[] = [];
    for await (const c of await this.storage.get(manifestKey(key))) chunks.push(c as Buffer);
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Manifest;
    if (!Array.isArray(parsed?.files)) throw new Error(`the weights manifest of ${this.storage.refFor(key)} is malformed`);
    return parsed;
  }

  private async fetch(key: string, path: string, expected?: StoredObject): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const meter = new ByteMeter();
    await pipeline(await this.storage.get(key), meter, createWriteStream(path));
    const got = meter.result();
    if (expected && (got.size !== expected.size || got.sha256 !== expected.sha256)) {
      throw new Error(`weights file ${this.storage.refFor(key)} does not match its manifest (${got.size} bytes, sha256 ${got.sha256.slice(0, 12)}…)`);
    }
  }

  /** Renames `from` to `to`; when another process put a copy there first, that copy is kept. */
  private async adopt(from: string, to: string): Promise<void> {
    await mkdir(dirname(to), { recursive: true });
    try {
      await rename(from, to);
    } catch (err) {
      if (!(await exists(to))) throw err;
      await rm(from, { recursive: true, force: true });
    }
  }
}
