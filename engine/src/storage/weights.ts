/**
 * Trained weights in the store. A training writes into a local directory (`trainingDir`);
 * `publish` stores its files as `weights/<training id>/<path>` plus a manifest (path, size,
 * sha256 of each file) and returns the location the new version records as its weights. A worker
 * that boots that version gets a local copy through `localPath`: the store's own directory when
 * the store is local, else a copy downloaded once per host into `<data dir>/cache/<key>` and
 * checked against the manifest.
 *
 * Weights given as an http(s) URL (imported weights URLs) are cached the same way, under
 * `urls/<sha256 of the URL>` (weights-url.ts): downloaded once per host, within the same budget,
 * eviction, pinning, memory tier and counters as store weights; the local path is the file named
 * after the URL's path.
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
import { ArtifactCache, type ArtifactCacheSettings, type CacheTier } from './artifact-cache';
import { ByteMeter } from './meter';
import { checkKey, type ObjectStorage, type StoredObject } from './types';
import { isWeightsUrl, openWeightsUrl, URL_KEY_PREFIX, type OpenUrlOptions, urlWeightsFileName, urlWeightsKey } from './weights-url';

interface Manifest {
  files: Array<{ path: string } & StoredObject>;
}

/** Weights on this host for an instance, and how they got here (the boot's fetch phase). */
export interface AcquiredWeights {
  path: string;
  /** Where they came from: a cache tier, or `miss` (downloaded from the store now). */
  outcome: CacheTier | 'miss';
  /** Bytes read from the store for this boot (0 on a hit). */
  fetchedBytes: number;
  /** Size of the weights on disk, when they are in the cache. */
  bytes?: number;
  /** The instance no longer uses them: they may be evicted. */
  release(): void;
}

/** What `prefetch` did. */
export type PrefetchOutcome = 'held' | 'fetched' | 'no-room' | 'not-remote';

/** Without settings the cache has no budget (tests of the store itself, tools). */
const UNBOUNDED: ArtifactCacheSettings = { diskBytes: Number.MAX_SAFE_INTEGER, memoryBytes: 0 };

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
  private readonly downloads = new Map<string, Promise<number>>();
  /** The URL behind each `urls/…` key seen (a key is a hash: the download needs the URL). */
  private readonly urls = new Map<string, string>();
  private readonly scratchDir: string;
  readonly cache: ArtifactCache;
  private loaded?: Promise<void>;

  constructor(
    private readonly storage: ObjectStorage,
    dataDir: string,
    cache: ArtifactCacheSettings = UNBOUNDED,
    /** How weights URLs are fetched (the SSRF guard's allow list; GANTRY_URL_ALLOWLIST by default). */
    private readonly urlOptions: OpenUrlOptions = {},
  ) {
    this.cache = new ArtifactCache(join(dataDir, 'cache'), cache);
    this.scratchDir = join(dataDir, 'tmp', 'trainings');
  }

  /** Adopts the copies an earlier process left (once, before the first use). */
  private ready(): Promise<void> {
    this.loaded ??= this.cache.load(['weights', URL_KEY_PREFIX]);
    return this.loaded;
  }

  private keyFor(trainingId: string): string {
    return `weights/${checkKey(trainingId)}`;
  }

  private cachePath(key: string): string {
    return this.cache.diskPath(key);
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
    // This host keeps what it trained as its cached copy (when it fits): running the new version
    // here needs no download.
    await this.ready();
    const bytes = manifest.files.reduce((s, f) => s + f.size, 0);
    if (await this.cache.makeRoom(bytes, false)) {
      await this.adopt(dir, this.cachePath(key));
      this.cache.add(key, bytes);
    }
    return this.storage.refFor(key);
  }

  /** Whether `localPath` has to download these weights (a remote store, or an http(s) URL). */
  needsFetch(location: string): boolean {
    return this.remoteKey(location) !== undefined;
  }

  /** The cache key of weights this host would download (undefined: used where they are). */
  private remoteKey(location: string): string | undefined {
    const key = this.storage.keyOf(location);
    if (key !== undefined) return this.storage.localPath(key) === undefined ? key : undefined;
    if (!isWeightsUrl(location)) return undefined;
    const urlKey = urlWeightsKey(location);
    this.urls.set(urlKey, location);
    return urlKey;
  }

  /** Where a process reads cached `key` from: a URL's file inside its directory. */
  private readPath(key: string): string {
    const url = this.urls.get(key);
    const dir = this.cache.pathOf(key);
    return url === undefined ? dir : join(dir, urlWeightsFileName(url));
  }

  /** A local path holding the weights at `location` (see the module comment). */
  async localPath(location: string): Promise<string> {
    const got = await this.acquire(location);
    got.release();
    return got.path;
  }

  /**
   * The weights at `location` on this host for an instance, pinned in the cache until `release`;
   * downloads them (once, however many boots ask at the same time) on a miss.
   */
  async acquire(location: string): Promise<AcquiredWeights> {
    const key = this.remoteKey(location);
    if (key === undefined) {
      const storeKey = this.storage.keyOf(location);
      const direct = storeKey === undefined ? undefined : this.storage.localPath(storeKey);
      return { path: direct ?? location, outcome: 'disk', fetchedBytes: 0, release: () => undefined };
    }
    await this.ready();
    const tier = this.cache.tierOf(key);
    let fetchedBytes = 0;
    if (!tier) {
      // A boot that joins a download already in flight waited for it (a miss) but read nothing itself.
      const joined = this.downloads.has(key);
      const bytes = await this.fetchOnce(key, true);
      fetchedBytes = joined ? 0 : bytes;
    }
    const release = this.cache.pin(key);
    const outcome = tier ?? 'miss';
    this.cache.count(outcome, fetchedBytes);
    const path = this.readPath(key);
    this.cache.noteUse(key);
    return { path, outcome, fetchedBytes, bytes: this.cache.bytesOf(key), release };
  }

  /**
   * Gets the weights at `location` into the cache before an instance needs them, only if they fit
   * in the budget without evicting what running instances use.
   */
  async prefetch(location: string): Promise<PrefetchOutcome> {
    const key = this.remoteKey(location);
    if (key === undefined) return 'not-remote';
    await this.ready();
    if (this.cache.tierOf(key)) return 'held';
    const fetched = await this.fetchOnce(key, false);
    if (fetched < 0) return 'no-room';
    this.cache.count('miss', fetched);
    this.cache.noteUse(key);
    return 'fetched';
  }

  /** Whether the weights at `location` are held here, and in which tier. */
  heldTier(location: string): CacheTier | undefined {
    const key = this.remoteKey(location);
    return key === undefined ? undefined : this.cache.tierOf(key);
  }

  /** Bytes of the weights at `location` in the cache, when held. */
  heldBytes(location: string): number | undefined {
    const key = this.remoteKey(location);
    return key === undefined ? undefined : this.cache.bytesOf(key);
  }

  /** Downloads `key` once however many ask; resolves with the bytes read, or -1 (no room, prefetch). */
  private fetchOnce(key: string, forBoot: boolean): Promise<number> {
    let download = this.downloads.get(key);
    if (!download) {
      download = this.download(key, this.cachePath(key), forBoot).finally(() => this.downloads.delete(key));
      this.downloads.set(key, download);
    }
    return download.then(async (n) => {
      // A prefetch that found no room does not stop a boot from fetching.
      if (n < 0 && forBoot) return this.fetchOnce(key, true);
      return n;
    });
  }

  /** What downloading `key` involves: each object and its expected size. */
  private async plan(key: string): Promise<{ manifest?: Manifest; objects: Array<{ key: string; rel: string | null; size: number }> }> {
    const manifest = await this.readManifest(key);
    if (manifest) return { manifest, objects: manifest.files.map((f) => ({ key: `${key}/${checkKey(f.path)}`, rel: f.path, size: f.size })) };
    // Not published by a training (a location a user gave): a "directory" of objects, or one object.
    const objects = await this.storage.list(`${key}/`);
    if (objects.length > 0) return { objects: objects.map((o) => ({ key: o.key, rel: o.key.slice(key.length + 1), size: o.size })) };
    const one = await this.storage.stat(key);
    if (one) return { objects: [{ key, rel: null, size: one.size }] };
    throw new Error(`weights ${this.storage.refFor(key)} are not in the store`);
  }

  private async download(key: string, target: string, forBoot: boolean): Promise<number> {
    const temp = `${target}.${randomBytes(6).toString('hex')}${PARTIAL}`;
    const url = this.urls.get(key);
    if (url !== undefined) return this.downloadUrl(url, key, temp, target, forBoot);
    try {
      const { manifest, objects } = await this.plan(key);
      const bytes = objects.reduce((s, o) => s + o.size, 0);
      if (!(await this.cache.makeRoom(bytes, forBoot))) return -1;
      for (const o of objects) {
        const expected = manifest?.files.find((f) => f.path === o.rel);
        await this.fetch(o.key, o.rel === null ? temp : join(temp, ...o.rel.split('/')), expected);
      }
      await this.adopt(temp, target);
      this.cache.add(key, bytes);
      return bytes;
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  /**
   * Streams the file at `url` into `<temp>/<file name>`, then renames the directory into place.
   * Room is made for the declared length before the body is read (a prefetch gives up there when
   * it does not fit); a body without a length is held to the whole disk budget and room is made
   * once its size is known.
   */
  private async downloadUrl(url: string, key: string, temp: string, target: string, forBoot: boolean): Promise<number> {
    try {
      const res = await openWeightsUrl(url, this.urlOptions);
      const limit = this.cache.settings.diskBytes;
      if (res.length !== undefined && res.length > limit) {
        res.discard();
        throw new Error(`they are ${res.length} bytes, larger than the artifact cache budget of ${limit} bytes (GANTRY_CACHE_BYTES)`);
      }
      if (res.length !== undefined && !(await this.cache.makeRoom(res.length, forBoot))) {
        res.discard();
        return -1;
      }
      const bytes = await res.saveTo(join(temp, urlWeightsFileName(url)), limit);
      if (res.length === undefined && !(await this.cache.makeRoom(bytes, forBoot))) return -1;
      await this.adopt(temp, target);
      this.cache.add(key, bytes);
      return bytes;
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
