/**
 * The storage conformance suite: the same contract run on every adapter (a local directory, an
 * S3 bucket on the s3rver fake): atomic puts with size limit and sha256, get, stat, delete,
 * list, locations, presigned URLs, start checks; then trained weights published through one
 * data dir and fetched into another (storage/weights.ts) on each adapter.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalStorage } from '../../../engine/src/storage/local';
import { S3Storage } from '../../../engine/src/storage/s3';
import { parseStorageUrl } from '../../../engine/src/storage/settings';
import { SizeLimitError, StorageConfigError, StorageNotFoundError, WeightsStore, openStorage, type ObjectStorage } from '../../../engine/src/storage';
import { startS3, type S3Handle } from '../../helpers/s3';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `gantry-${name}-`));
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A source that yields some bytes, then fails (a client that hangs up mid-upload). */
function failingSource(bytes: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(bytes, 3));
      } else this.destroy(new Error('connection reset by peer'));
    },
  });
}

let s3: S3Handle;
beforeAll(async () => {
  s3 = await startS3(['conformance', 'weights-a']);
});
afterAll(async () => s3?.close());

interface Adapter {
  name: string;
  make(): ObjectStorage;
}

const adapters: Adapter[] = [
  { name: 'local directory', make: () => new LocalStorage(tmp('store')) },
  {
    name: 's3 (s3rver)',
    // A prefix of its own per store, so cases never see each other's objects.
    make: () => new S3Storage(parseStorageUrl(s3.storageUrl('conformance', `run-${Math.random().toString(36).slice(2)}/x`)) as never),
  },
];

describe.each(adapters)('ObjectStorage contract: $name', ({ make }) => {
  let store: ObjectStorage;
  beforeEach(() => {
    store = make();
  });
  afterEach(async () => store.close());

  test('put then get, stat and list give the same bytes, size and sha256', async () => {
    const body = Buffer.from('hello, store\n');
    const put = await store.put('files/a1', Readable.from([body.subarray(0, 5), body.subarray(5)]));
    expect(put).toEqual({ size: body.length, sha256: sha(body) });
    expect(await read(await store.get('files/a1'))).toEqual(body);
    expect(await store.stat('files/a1')).toEqual({ size: body.length });
    expect(await store.list('files/')).toEqual([{ key: 'files/a1', size: body.length }]);
  });

  test('an empty object is an object', async () => {
    expect(await store.put('files/empty', Readable.from([]))).toEqual({ size: 0, sha256: sha('') });
    expect(await store.stat('files/empty')).toEqual({ size: 0 });
    expect((await read(await store.get('files/empty'))).length).toBe(0);
  });

  test('a put replaces the object', async () => {
    await store.put('files/r', Readable.from([Buffer.from('first')]));
    await store.put('files/r', Readable.from([Buffer.from('second, longer')]));
    expect((await read(await store.get('files/r'))).toString()).toBe('second, longer');
    expect(await store.list('files/')).toHaveLength(1);
  });

  test('a body over the size limit is refused and leaves the old bytes as they were', async () => {
    await store.put('files/limited', Readable.from([Buffer.from('old')]));
    const err = await store.put('files/limited', Readable.from([Buffer.alloc(600, 1), Buffer.alloc(600, 2)]), { maxBytes: 1000 }).catch((e) => e);
    expect(err).toBeInstanceOf(SizeLimitError);
    expect(err.limit).toBe(1000);
    expect((await read(await store.get('files/limited'))).toString()).toBe('old');
    await expect(store.put('files/new-limited', Readable.from([Buffer.alloc(1001)]), { maxBytes: 1000 })).rejects.toBeInstanceOf(SizeLimitError);
    expect(await store.stat('files/new-limited')).toBeUndefined();
    expect((await store.list('files/')).map((o) => o.key)).toEqual(['files/limited']);
    // Exactly at the limit is fine.
    expect((await store.put('files/at-limit', Readable.from([Buffer.alloc(1000)]), { maxBytes: 1000 })).size).toBe(1000);
  });

  test('a source that fails mid-way leaves nothing behind', async () => {
    await expect(store.put('files/broken', failingSource(64 * 1024))).rejects.toThrow(/connection reset/);
    expect(await store.stat('files/broken')).toBeUndefined();
    expect(await store.list('')).toEqual([]);
  });

  test('a large body streams through (several multipart parts on S3) with the right sha256', async () => {
    const part = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < part.length; i++) part[i] = (i * 31) & 0xff;
    const parts = 17; // 17 MiB: three 8 MiB parts on S3
    const hash = createHash('sha256');
    for (let i = 0; i < parts; i++) hash.update(part);
    const put = await store.put('weights/big/model.bin', Readable.from((function* () {
      for (let i = 0; i < parts; i++) yield part;
    })()));
    expect(put).toEqual({ size: parts * part.length, sha256: hash.digest('hex') });
    const back = createHash('sha256');
    let size = 0;
    for await (const c of await store.get('weights/big/model.bin')) {
      back.update(c as Buffer);
      size += (c as Buffer).length;
    }
    expect({ size, sha256: back.digest('hex') }).toEqual(put);
  }, 60_000);

  test('putFile moves a local file in', async () => {
    const dir = tmp('src');
    const path = join(dir, 'out.txt');
    writeFileSync(path, 'produced by a predictor');
    expect(await store.putFile('files/moved', path)).toEqual({ size: 23, sha256: sha('produced by a predictor') });
    expect(existsSync(path)).toBe(false);
    expect((await read(await store.get('files/moved'))).toString()).toBe('produced by a predictor');
    writeFileSync(path, 'x'.repeat(50));
    await expect(store.putFile('files/too-big', path, { maxBytes: 10 })).rejects.toBeInstanceOf(SizeLimitError);
    expect(await store.stat('files/too-big')).toBeUndefined();
  });

  test('missing objects: get rejects with StorageNotFoundError, stat is undefined, delete is idempotent', async () => {
    await expect(store.get('files/nothing')).rejects.toBeInstanceOf(StorageNotFoundError);
    expect(await store.stat('files/nothing')).toBeUndefined();
    await store.put('files/d', Readable.from([Buffer.from('x')]));
    await store.delete('files/d');
    await store.delete('files/d');
    await store.delete('files/never-was');
    expect(await store.stat('files/d')).toBeUndefined();
    await expect(store.get('files/d')).rejects.toBeInstanceOf(StorageNotFoundError);
  });

  test('list returns what is under a prefix and nothing beside it', async () => {
    for (const key of ['weights/t1/a.bin', 'weights/t1/sub/b.bin', 'weights/t10/c.bin', 'weights/t1.manifest.json', 'files/f']) {
      await store.put(key, Readable.from([Buffer.from(key)]));
    }
    const keys = async (prefix: string) => (await store.list(prefix)).map((o) => o.key).sort();
    expect(await keys('weights/t1/')).toEqual(['weights/t1/a.bin', 'weights/t1/sub/b.bin']);
    expect(await keys('weights/')).toEqual(['weights/t1.manifest.json', 'weights/t1/a.bin', 'weights/t1/sub/b.bin', 'weights/t10/c.bin']);
    // A prefix is a string prefix, as in S3: 'weights/t1' also starts 'weights/t10/...'.
    expect(await keys('weights/t1')).toEqual(['weights/t1.manifest.json', 'weights/t1/a.bin', 'weights/t1/sub/b.bin', 'weights/t10/c.bin']);
    expect(await keys('nothing/')).toEqual([]);
    expect((await store.list('weights/t1/sub/'))[0]).toEqual({ key: 'weights/t1/sub/b.bin', size: 'weights/t1/sub/b.bin'.length });
  });

  test('locations name the store and read back to their keys; others are not this store', () => {
    const location = store.refFor('weights/t1/a.bin');
    expect(store.keyOf(location)).toBe('weights/t1/a.bin');
    expect(store.keyOf('/somewhere/else/weights/t1')).toBeUndefined();
    expect(store.keyOf('s3://another-bucket/weights/t1')).toBeUndefined();
    expect(store.keyOf('meta-llama/Llama-3-8B')).toBeUndefined();
  });

  test('keys that could leave the store are refused', async () => {
    for (const key of ['../escape', 'files/../../etc/passwd', '/abs', 'a//b', 'a/./b', 'back\\slash', '']) {
      await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(/invalid storage key/);
      expect(() => store.refFor(key)).toThrow(/invalid storage key/);
    }
  });

  test('check passes on a usable store', async () => {
    await expect(store.check()).resolves.toBeUndefined();
  });
});

describe('presigned URLs', () => {
  test('a local directory gives none (the engine streams the bytes)', async () => {
    const store = new LocalStorage(tmp('local'));
    await store.put('files/p', Readable.from([Buffer.from('x')]));
    expect(await store.presignedUrl()).toBeUndefined();
    expect(store.localPath('files/p')).toBe(join(store.root, 'files', 'p'));
  });

  test('an S3 store presigns GETs with the name and type; downloads=proxy gives none', async () => {
    const store = new S3Storage(parseStorageUrl(s3.storageUrl('conformance', 'presign')) as never);
    await store.put('files/p', Readable.from([Buffer.from('presigned bytes')]));
    const url = (await store.presignedUrl('files/p', { ttlSeconds: 60, fileName: 'résumé "1".txt', contentType: 'text/plain' }))!;
    expect(url.startsWith(`${s3.endpoint}/conformance/presign/files/p?`)).toBe(true);
    expect(url).toMatch(/X-Amz-Signature=[0-9a-f]{64}/);
    expect(url).toMatch(/X-Amz-Expires=60/);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="r_sum_ _1_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.txt`);
    expect(await res.text()).toBe('presigned bytes');
    expect(store.localPath()).toBeUndefined();
    await store.close();

    const proxied = new S3Storage(parseStorageUrl(s3.storageUrl('conformance', 'presign', { extra: '&downloads=proxy' })) as never);
    expect(await proxied.presignedUrl('files/p', { ttlSeconds: 60 })).toBeUndefined();
    await proxied.close();
  });

  test('public_endpoint: URLs name the address clients reach, requests go to the endpoint', async () => {
    const store = new S3Storage(parseStorageUrl(s3.storageUrl('conformance', 'pub', { extra: '&public_endpoint=https%3A%2F%2Fobjects.example.com' })) as never);
    await store.put('files/q', Readable.from([Buffer.from('q')]));
    expect(await store.stat('files/q')).toEqual({ size: 1 });
    expect(await store.presignedUrl('files/q', { ttlSeconds: 30 })).toMatch(/^https:\/\/objects\.example\.com\/conformance\/pub\/files\/q\?/);
    await store.close();
  });
});

describe('start checks name GANTRY_STORAGE_URL', () => {
  test('a missing bucket', async () => {
    const err = await openStorage(parseStorageUrl(s3.storageUrl('no-such-bucket')), tmp('d')).catch((e) => e);
    expect(err).toBeInstanceOf(StorageConfigError);
    expect(err.message).toMatch(/^GANTRY_STORAGE_URL: bucket "no-such-bucket" at http:\/\/127\.0\.0\.1:\d+ cannot be used: NotFound: HTTP 404/);
  });

  test('an endpoint nothing listens on', async () => {
    const err = await openStorage(parseStorageUrl('s3://k:s@bucket-x/p?endpoint=http://127.0.0.1:1'), tmp('d')).catch((e) => e);
    expect(err).toBeInstanceOf(StorageConfigError);
    expect(err.message).toMatch(/^GANTRY_STORAGE_URL: bucket "bucket-x" at http:\/\/127\.0\.0\.1:1 cannot be used: .*ECONNREFUSED/);
  }, 30_000);

  test('a directory that cannot be created', async () => {
    const file = join(tmp('d'), 'a-file');
    writeFileSync(file, 'not a directory');
    const err = await openStorage({ kind: 'local', root: join(file, 'store') }, tmp('d')).catch((e) => e);
    expect(err).toBeInstanceOf(StorageConfigError);
    expect(err.message).toMatch(/^GANTRY_STORAGE_URL: the storage directory .*a-file\/store is not writable/);
  });
});

/** Writes a training's weights the way a predictor does: files, some nested. */
function writeWeights(dir: string): Record<string, string> {
  const files = { 'weights.json': '{"w":[1,2,3]}', 'tokenizer/vocab.txt': 'a\nb\nc\n', 'tokenizer/merges.txt': '' };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return files;
}

function readTree(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, readTree(dir, path));
    else out[path] = readFileSync(join(dir, path), 'utf8');
  }
  return out;
}

describe.each(adapters)('trained weights: $name', ({ name, make }) => {
  const remote = name.startsWith('s3');
  let store: ObjectStorage;
  beforeEach(() => {
    store = make();
  });
  afterEach(async () => store.close());

  test('published by one host, fetched (or read in place) by another with its own data dir', async () => {
    const trainer = new WeightsStore(store, tmp('trainer'));
    const dir = await trainer.trainingDir('tr1');
    expect(readdirSync(dir)).toEqual([]);
    const files = writeWeights(dir);
    const location = await trainer.publish('tr1', dir);
    expect(location).toBe(store.refFor('weights/tr1'));
    expect(trainer.needsFetch(location)).toBe(remote);

    const other = new WeightsStore(store, tmp('other-host'));
    const [a, b] = await Promise.all([other.localPath(location), other.localPath(location)]);
    expect(a).toBe(b); // one download for concurrent boots
    expect(readTree(a)).toEqual(files);
    if (remote) {
      expect(a).toContain('/cache/weights/tr1');
      // The trainer kept its own copy: no download there.
      expect(readTree(await trainer.localPath(location))).toEqual(files);
      expect((await store.list('weights/')).map((o) => o.key).sort()).toEqual([
        'weights/tr1.manifest.json', 'weights/tr1/tokenizer/merges.txt', 'weights/tr1/tokenizer/vocab.txt', 'weights/tr1/weights.json',
      ]);
    } else {
      expect(a).toBe(dir); // the store's own directory: nothing copied
    }
  });

  test('weights that are not in the store pass through untouched', async () => {
    const w = new WeightsStore(store, tmp('w'));
    for (const location of ['/models/llama', 'meta-llama/Llama-3-8B', 's3://some-other-bucket/w']) {
      expect(w.needsFetch(location)).toBe(false);
      expect(await w.localPath(location)).toBe(location);
    }
  });

  test('a failed training leaves a fresh directory for the next try', async () => {
    const w = new WeightsStore(store, tmp('w'));
    const dir = await w.trainingDir('tr2');
    writeFileSync(join(dir, 'half-written'), 'x');
    expect(await w.trainingDir('tr2')).toBe(dir);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('trained weights: what only a remote store can get wrong', () => {
  const make = () => new S3Storage(parseStorageUrl(s3.storageUrl('weights-a', `w${Math.random().toString(36).slice(2)}`)) as never);

  test('a file changed in the bucket after publishing fails the fetch against the manifest', async () => {
    const store = make();
    const trainer = new WeightsStore(store, tmp('t'));
    const dir = await trainer.trainingDir('tr3');
    writeWeights(dir);
    const location = await trainer.publish('tr3', dir);
    await store.put('weights/tr3/weights.json', Readable.from([Buffer.from('{"w":"tampered"}')]));
    const other = tmp('o');
    await expect(new WeightsStore(store, other).localPath(location)).rejects.toThrow(/weights\.json does not match its manifest/);
    // Nothing half-fetched stays in the cache: a later try starts over.
    expect(existsSync(join(other, 'cache', 'weights', 'tr3'))).toBe(false);
    await store.close();
  });

  test('weights a user put in the bucket (no manifest): a prefix of objects, or one object', async () => {
    const store = make();
    await store.put('models/m1/a.bin', Readable.from([Buffer.from('A')]));
    await store.put('models/m1/b/c.bin', Readable.from([Buffer.from('C')]));
    await store.put('models/single.safetensors', Readable.from([Buffer.from('S')]));
    const w = new WeightsStore(store, tmp('u'));
    expect(readTree(await w.localPath(store.refFor('models/m1')))).toEqual({ 'a.bin': 'A', 'b/c.bin': 'C' });
    expect(readFileSync(await w.localPath(store.refFor('models/single.safetensors')), 'utf8')).toBe('S');
    await expect(w.localPath(store.refFor('models/none'))).rejects.toThrow(/weights s3:\/\/weights-a\/.*models\/none are not in the store/);
    await store.close();
  });
});
