/**
 * gantry/image-resize through a real engine over HTTP: images made with sharp here go in as data
 * URIs and as uploaded engine files; what comes back is read with sharp again (format, size,
 * pixels); image_count = 1 and cost = one image at the list price; bad inputs are named.
 */
import sharp from 'sharp';
import { api, startEngine, type EngineHandle } from '../../helpers/engine';

const PRICE_PER_IMAGE = 0.0002; // Gantry's default list price, engine/src/builtins.ts

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let source: Buffer; // 400x200 PNG: left half red, right half blue

beforeAll(async () => {
  engine = await startEngine();
  call = api(engine);
  const half = (r: number, b: number) => sharp({ create: { width: 200, height: 200, channels: 3, background: { r, g: 0, b } } }).png().toBuffer();
  source = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#000000' } })
    .composite([
      { input: await half(255, 0), left: 0, top: 0 },
      { input: await half(0, 255), left: 200, top: 0 },
    ])
    .png()
    .toBuffer();
}, 90_000);

afterAll(async () => engine?.stop());

const dataUri = (png: Buffer, type = 'image/png') => `data:${type};base64,${png.toString('base64')}`;

async function resize(input: Record<string, unknown>) {
  const res = await call('POST', '/v1/models/gantry/image-resize/predictions', { input }, { prefer: 'wait=60' });
  expect(res.status).toBe(201);
  return res.json;
}

async function download(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { bytes, contentType: res.headers.get('content-type'), disposition: res.headers.get('content-disposition') ?? '', meta: await sharp(bytes).metadata() };
}

test('resizes a PNG to a webp of the asked size; image_count = 1; cost = one image at the list price', async () => {
  const p = await resize({ image: dataUri(source), width: 100, height: 100, format: 'webp', quality: 70 });
  expect(p.error).toBeNull();
  expect(p.status).toBe('succeeded');
  const out = await download(p.output);
  expect(out.contentType).toBe('image/webp');
  expect(out.disposition).toContain('resized.webp');
  expect(out.meta).toEqual(expect.objectContaining({ format: 'webp', width: 100, height: 100 }));
  expect(p.metrics.image_count).toBe(1);
  expect(p.cost).toEqual(
    expect.objectContaining({ rule: 'per_image', quantity: 1, unit_price_usd: PRICE_PER_IMAGE, total_usd: PRICE_PER_IMAGE, hardware: 'cpu' }),
  );
  expect(p.logs).toMatch(/png 400x200 -> webp 100x100 \(fit cover, quality 70\)/);
});

test('one side keeps the aspect ratio; the format defaults to the input format', async () => {
  const p = await resize({ image: dataUri(source), width: 200 });
  const out = await download(p.output);
  expect(out.contentType).toBe('image/png');
  expect(out.meta).toEqual(expect.objectContaining({ format: 'png', width: 200, height: 100 }));
  const byHeight = await download((await resize({ image: dataUri(source), height: 50, format: 'jpeg' })).output);
  expect(byHeight.contentType).toBe('image/jpeg');
  expect(byHeight.disposition).toContain('resized.jpg');
  expect(byHeight.meta).toEqual(expect.objectContaining({ format: 'jpeg', width: 100, height: 50 }));
});

test('fit: fill stretches, contain letterboxes, cover crops (checked on the pixels)', async () => {
  const pixel = async (img: Buffer, x: number, y: number) => {
    const { data, info } = await sharp(img).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const i = (y * info.width + x) * 4;
    return [data[i], data[i + 1], data[i + 2], data[i + 3]];
  };
  const fill = await download((await resize({ image: dataUri(source), width: 100, height: 100, fit: 'fill' })).output);
  expect(fill.meta).toEqual(expect.objectContaining({ width: 100, height: 100 }));
  expect(await pixel(fill.bytes, 10, 50)).toEqual([255, 0, 0, 255]); // both halves survive, squeezed
  expect(await pixel(fill.bytes, 90, 50)).toEqual([0, 0, 255, 255]);

  const contain = await download((await resize({ image: dataUri(source), width: 100, height: 100, fit: 'contain' })).output);
  expect(await pixel(contain.bytes, 50, 5)).toEqual([0, 0, 0, 0]); // transparent bar above
  expect(await pixel(contain.bytes, 10, 50)).toEqual([255, 0, 0, 255]);

  const cover = await download((await resize({ image: dataUri(source), width: 100, height: 100, fit: 'cover' })).output);
  expect(await pixel(cover.bytes, 2, 50)).toEqual([255, 0, 0, 255]); // centre crop: red left, blue right
  expect(await pixel(cover.bytes, 97, 50)).toEqual([0, 0, 255, 255]);

  const inside = await download((await resize({ image: dataUri(source), width: 100, height: 100, fit: 'inside' })).output);
  expect(inside.meta).toEqual(expect.objectContaining({ width: 100, height: 50 }));
  const outside = await download((await resize({ image: dataUri(source), width: 100, height: 100, fit: 'outside' })).output);
  expect(outside.meta).toEqual(expect.objectContaining({ width: 200, height: 100 }));
});

test('an uploaded file (engine file URL) converts to avif', async () => {
  const form = new FormData();
  form.append('content', new Blob([source], { type: 'image/png' }), 'photo.png');
  const up = await fetch(`${engine.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${engine.token}` }, body: form });
  expect(up.status).toBe(201);
  const file = await up.json();
  const p = await resize({ image: file.urls.get, width: 80, format: 'avif' });
  expect(p.error).toBeNull();
  const out = await download(p.output);
  expect(out.contentType).toBe('image/avif');
  expect(out.meta).toEqual(expect.objectContaining({ width: 80, height: 40 }));
  expect(out.meta.compression).toBe('av1');
});

test('neither width nor height is a 422 naming both fields; bad values are named too', async () => {
  const res = await call('POST', '/v1/models/gantry/image-resize/predictions', { input: { image: dataUri(source) } });
  expect(res.status).toBe(422);
  const pointers = res.json.errors.map((e: { pointer: string }) => e.pointer);
  expect(pointers).toEqual(expect.arrayContaining(['/input/width', '/input/height']));
  for (const [input, pointer] of [
    [{ width: 0 }, '/input/width'],
    [{ height: 20000 }, '/input/height'],
    [{ width: 10, fit: 'crop' }, '/input/fit'],
    [{ width: 10, format: 'gif' }, '/input/format'],
    [{ width: 10, quality: 101 }, '/input/quality'],
  ] as const) {
    const bad = await call('POST', '/v1/models/gantry/image-resize/predictions', { input: { image: dataUri(source), ...input } });
    expect(bad.status).toBe(422);
    expect(bad.json.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  }
});

test('a file that is not an image fails with a clear error, and no image is billed', async () => {
  const p = await resize({ image: dataUri(Buffer.from('just some text, not pixels'), 'text/plain'), width: 10 });
  expect(p.status).toBe('failed');
  expect(p.error).toMatch(/^image: not an image that can be read \(.*unsupported image format/);
  expect(p.metrics.image_count).toBeUndefined();
  expect(p.cost).toEqual(expect.objectContaining({ rule: 'per_image', quantity: 0, total_usd: 0 }));
});
