/**
 * The worker's artifact cache (storage/artifact-cache.ts, cache-policy.ts) through the real
 * WeightsStore over a real S3 protocol server (the s3rver fake): misses download and count their
 * bytes, hits read the disk copy, a hot artifact is copied to the memory tier and read from it,
 * the budget evicts by expected reuse (not recency), never what an instance uses, and a prefetch
 * never goes over the budget. Also the size parser and the configuration errors.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Storage } from '../../../engine/src/storage/s3';
import { parseStorageUrl } from '../../../engine/src/storage/settings';
import { WeightsStore, type ObjectStorage } from '../../../engine/src/storage';
import { chooseVictims, type CacheEntryStats } from '../../../engine/src/storage/cache-policy';
import { parseByteSize } from '../../../engine/src/core/byte-size';
import { loadConfig } from '../../../engine/src/config';
import { startS3, type S3Handle } from '../../helpers/s3';

const MB = 1_000_000;
const CLI = join(__dirname, '..', '..', '..', 'engine', 'dist', 'src', 'cli.js');
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `gantry-${name}-`));

let s3: S3Handle;
let storage: ObjectStorage;
const blobs: Record<string, Buffer> = {};
const loc = (name: string) => storage.refFor(`weights/${name}`);

beforeAll(async () => {
  s3 = await startS3(['cache']);
  storage = new S3Storage(parseStorageUrl(s3.storageUrl('cache', 'gantry/')) as never);
  for (const [name, size] of [['a', MB], ['b', MB], ['c', MB], ['d', MB], ['big', 8 * MB]] as const) {
    blobs[name] = randomBytes(size);
    await s3.put('cache', `gantry/weights/${name}`, blobs[name]);
  }
}, 60_000);

afterAll(async () => {
  await storage?.close();
  await s3?.close();
});

describe('chooseVictims (expected reuse per byte)', () => {
  const now = 10 * 3600_000;
  const e = (key: string, bytes: number, uses: number, hoursAgo: number, pins = 0): CacheEntryStats => ({ key, bytes, uses, lastUsedAt: now - hoursAgo * 3600_000, pins });
  test.each([
    // name, entries, need, budget, expected victims
    ['room already: nothing goes', [e('a', 10, 1, 1)], 5, 20, []],
    ['a one-off goes before a daily model even when the daily one is older', [e('daily', 10, 8, 5), e('once', 10, 1, 0.1)], 10, 25, ['once']],
    ['per byte: one large cold entry frees more than two small warm ones', [e('large', 40, 1, 2), e('s1', 5, 1, 0), e('s2', 5, 1, 0)], 30, 60, ['large']],
    ['old uses decay: used often a week ago loses to used twice today', [e('last-week', 10, 20, 168), e('today', 10, 2, 1)], 10, 25, ['last-week']],
    ['pinned entries are never chosen', [e('pinned', 10, 0, 100, 1), e('warm', 10, 5, 0)], 10, 25, ['warm']],
  ] as const)('%s', (_name, entries, need, budget, expected) => {
    expect(chooseVictims(entries as unknown as CacheEntryStats[], need, budget, now)!.map((v) => v.key)).toEqual(expected);
  });
  test('no room even evicting everything unpinned: undefined', () => {
    expect(chooseVictims([e('pinned', 20, 1, 0, 1), e('free', 5, 1, 0)], 10, 25, now)).toBeUndefined();
  });
});

describe('parseByteSize', () => {
  test.each([
    ['50GB', 50e9],
    ['512MiB', 512 * 1024 ** 2],
    ['1.5 tb', 1.5e12],
    ['0', 0],
    ['123456', 123456],
  ])('%s', (text, bytes) => expect(parseByteSize(text)).toBe(bytes));
  test.each(['lots', '-5GB', '5 parsecs', '', '1e9'])('rejects %p', (text) => {
    expect(parseByteSize(text)).toEqual({ error: expect.stringContaining('is not a size') });
  });
});

describe('configuration', () => {
  test('GANTRY_CACHE_BYTES and GANTRY_CACHE_MEMORY_BYTES are parsed; bad values name the variable', () => {
    const c = loadConfig({ GANTRY_CACHE_BYTES: '2GiB', GANTRY_CACHE_MEMORY_BYTES: '256MB', GANTRY_CACHE_MEMORY_DIR: tmpdir() });
    expect(c.artifactCache).toMatchObject({ diskBytes: 2 * 1024 ** 3, memoryBytes: 256e6 });
    expect(c.artifactCache.memoryDir).toContain(join(tmpdir(), 'gantry-cache-'));
    expect(loadConfig({}).artifactCache).toMatchObject({ diskBytes: 50e9, memoryBytes: 0 });
    expect(() => loadConfig({ GANTRY_CACHE_BYTES: 'lots' })).toThrow(/GANTRY_CACHE_BYTES: "lots" is not a size/);
    expect(() => loadConfig({ GANTRY_CACHE_MEMORY_BYTES: '1 bucket' })).toThrow(/GANTRY_CACHE_MEMORY_BYTES: "1 bucket" is not a size/);
    expect(() => loadConfig({ GANTRY_CACHE_MEMORY_BYTES: '1GB', GANTRY_CACHE_MEMORY_DIR: '/no/such/tmpfs' })).toThrow(/GANTRY_CACHE_MEMORY_DIR: \/no\/such\/tmpfs does not exist/);
  });

  test('a worker process with a bad GANTRY_CACHE_BYTES does not start, and says why', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--role', 'worker'], {
      env: { ...process.env, DATABASE_URL: 'postgres://127.0.0.1:1/none', GANTRY_DATA_DIR: tmp('bad-cache'), GANTRY_CACHE_BYTES: '50 gigs' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(out).toContain('GANTRY_CACHE_BYTES: "50 gigs" is not a size');
  }, 30_000);
});

describe('WeightsStore with a budget', () => {
  test('a miss downloads and counts its bytes, the next boot hits the disk copy, a restart adopts it', async () => {
    const dir = tmp('cache-hit');
    const w = new WeightsStore(storage, dir, { diskBytes: 10 * MB, memoryBytes: 0 });
    const first = await w.acquire(loc('a'));
    expect([first.outcome, first.fetchedBytes, first.bytes]).toEqual(['miss', MB, MB]);
    expect(readFileSync(first.path).equals(blobs.a)).toBe(true); // (toEqual on megabytes is slow)
    first.release();
    const second = await w.acquire(loc('a'));
    expect([second.outcome, second.fetchedBytes, second.path]).toEqual(['disk', 0, first.path]);
    second.release();
    expect(w.cache.summary()).toMatchObject({ misses: 1, hits_disk: 1, fetched_bytes: MB, used_bytes: MB, budget_bytes: 10 * MB });
    // A new process on the same data dir finds the copy.
    const again = new WeightsStore(storage, dir, { diskBytes: 10 * MB, memoryBytes: 0 });
    expect((await again.acquire(loc('a'))).outcome).toBe('disk');
  });

  test('boots that ask at once share one download; its bytes are counted once', async () => {
    const w = new WeightsStore(storage, tmp('cache-join'), { diskBytes: 10 * MB, memoryBytes: 0 });
    const [x, y] = await Promise.all([w.acquire(loc('b')), w.acquire(loc('b'))]);
    expect([x.outcome, y.outcome]).toEqual(['miss', 'miss']);
    expect(x.fetchedBytes + y.fetchedBytes).toBe(MB);
    expect(w.cache.summary()).toMatchObject({ misses: 2, fetched_bytes: MB, used_bytes: MB });
  });

  test('the budget evicts by expected reuse: the often-used artifact stays although it is the least recent', async () => {
    const dir = tmp('cache-evict');
    const w = new WeightsStore(storage, dir, { diskBytes: 2.5 * MB, memoryBytes: 0 });
    for (let i = 0; i < 3; i++) (await w.acquire(loc('a'))).release();
    (await w.acquire(loc('b'))).release();
    // LRU would now evict `a` (least recently used); expected reuse evicts `b` (used once).
    (await w.acquire(loc('c'))).release();
    expect([w.heldTier(loc('a')), w.heldTier(loc('b')), w.heldTier(loc('c'))]).toEqual(['disk', undefined, 'disk']);
    expect(existsSync(join(dir, 'cache', 'weights', 'b'))).toBe(false);
    expect(w.cache.summary()).toMatchObject({ used_bytes: 2 * MB, evictions: 1 });
  });

  test('what instances use is never evicted; a prefetch never goes over the budget, a boot may until it is done', async () => {
    const dir = tmp('cache-pins');
    const w = new WeightsStore(storage, dir, { diskBytes: 2.5 * MB, memoryBytes: 0 });
    const a = await w.acquire(loc('a'));
    const c = await w.acquire(loc('c'));
    expect(await w.prefetch(loc('d'))).toBe('no-room');
    expect(w.heldTier(loc('d'))).toBeUndefined();
    // A boot must run: it goes over the budget while it runs, and its copy goes when it stops.
    const d = await w.acquire(loc('d'));
    expect(d.outcome).toBe('miss');
    expect([w.heldTier(loc('a')), w.heldTier(loc('c'))]).toEqual(['disk', 'disk']);
    d.release();
    await new Promise((r) => setTimeout(r, 50));
    expect(w.heldTier(loc('d'))).toBeUndefined();
    expect(existsSync(join(dir, 'cache', 'weights', 'd'))).toBe(false);
    a.release();
    c.release();
    // With nothing pinned the prefetch makes room by expected reuse and fetches.
    expect(await w.prefetch(loc('d'))).toBe('fetched');
    expect(await w.prefetch(loc('d'))).toBe('held');
    expect(w.cache.summary().used_bytes).toBeLessThanOrEqual(2.5 * MB);
  });

  test('a hot artifact is copied to the memory tier and read from there; fetch times by tier', async () => {
    const dir = tmp('cache-memory');
    const memoryDir = join(tmp('shm'), 'gantry-cache-test');
    const w = new WeightsStore(storage, dir, { diskBytes: 100 * MB, memoryBytes: 20 * MB, memoryDir });
    const timed = async () => {
      const began = process.hrtime.bigint();
      const got = await w.acquire(loc('big'));
      const ms = Number(process.hrtime.bigint() - began) / 1e6;
      expect(readFileSync(got.path).equals(blobs.big)).toBe(true);
      got.release();
      return { outcome: got.outcome, path: got.path, ms };
    };
    const miss = await timed();
    const disk = await timed(); // the second use makes it a memory candidate
    await w.cache.settled();
    const memory = await timed();
    expect([miss.outcome, disk.outcome, memory.outcome]).toEqual(['miss', 'disk', 'memory']);
    expect(memory.path.startsWith(memoryDir)).toBe(true);
    expect(w.cache.summary()).toMatchObject({ memory_used_bytes: 8 * MB, hits_memory: 1, hits_disk: 1, misses: 1 });
    // Stopping gives the host memory back; the disk copy stays.
    await w.cache.close();
    expect(existsSync(memoryDir)).toBe(false);
    expect(w.heldTier(loc('big'))).toBe('disk');
    // Measured, not asserted: what each tier costs a boot of 8 MB here.
    console.log(`artifact fetch of 8 MB: miss ${miss.ms.toFixed(1)} ms, disk hit ${disk.ms.toFixed(1)} ms, memory hit ${memory.ms.toFixed(1)} ms`);
  });
});
