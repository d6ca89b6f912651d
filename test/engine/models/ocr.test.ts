import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import ocr, { loadImage, shutdown } from '../../../engine/models/ocr/index';
import { makeCtx } from './ctx';

/** Renders one line of black text on white to PNG (DejaVu Sans is installed here; see fc-list). */
async function renderLine(text: string, fontSize = 44): Promise<Buffer> {
  const width = Math.ceil(text.length * fontSize * 0.65) + 40;
  const height = Math.ceil(fontSize * 2.6);
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="20" y="${Math.round(height * 0.62)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="black">${esc}</text>` +
    `</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const dataUri = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

describe('gantry/ocr', () => {
  const ctx = makeCtx();
  let setupMs = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    await ocr.setup!(ctx);
    setupMs = Date.now() - t0;
  });

  afterAll(async () => {
    await shutdown();
  });

  test('reads a rendered line of text from a data URI', async () => {
    const png = await renderLine('Gantry reads seven quick words');
    const t0 = Date.now();
    const out = (await ocr.predict(ocr.input.parse({ image: dataUri(png) }), makeCtx())) as {
      text: string;
      confidence: number;
      words: { text: string; confidence: number; bbox: { x0: number; x1: number } }[];
    };
    const ms = Date.now() - t0;
    console.log(`ocr setup ${setupMs} ms, recognition ${ms} ms, text=${JSON.stringify(out.text)}`);
    for (const w of ['Gantry', 'reads', 'seven', 'quick', 'words']) expect(out.text).toContain(w);
    expect(out.confidence).toBeGreaterThan(60);
    expect(out.words.map((w) => w.text)).toEqual(['Gantry', 'reads', 'seven', 'quick', 'words']);
    // words go left to right
    for (let i = 1; i < out.words.length; i++) expect(out.words[i].bbox.x0).toBeGreaterThan(out.words[i - 1].bbox.x1);
    expect(ocr.output!.safeParse(out).success).toBe(true);
  });

  test('reads a local absolute file path and a file:// URL, reusing the worker', async () => {
    const ctx2 = makeCtx();
    const path = join(ctx2.tmpdir, 'invoice.png');
    writeFileSync(path, await renderLine('Invoice number 4711 paid'));
    const a = (await ocr.predict(ocr.input.parse({ image: path }), ctx2)) as { text: string };
    expect(a.text).toContain('Invoice');
    expect(a.text).toContain('4711');
    expect(a.text).toContain('paid');
    const b = (await ocr.predict(ocr.input.parse({ image: `file://${path}` }), ctx2)) as { text: string };
    expect(b.text).toBe(a.text);
  });

  test('a blank image gives empty text, not an error', async () => {
    const png = await sharp({ create: { width: 200, height: 80, channels: 3, background: '#ffffff' } }).png().toBuffer();
    const out = (await ocr.predict(ocr.input.parse({ image: dataUri(png) }), makeCtx())) as { text: string; words: unknown[] };
    expect(out.text).toBe('');
    expect(out.words).toEqual([]);
  });

  test('bad images give clear errors', async () => {
    await expect(loadImage('relative/path.png')).rejects.toThrow(/data URI, an http\(s\) URL, or an absolute file path/);
    await expect(loadImage('/nonexistent/gantry.png')).rejects.toThrow(/cannot read \/nonexistent\/gantry.png/);
    await expect(loadImage('data:image/png;base64,')).rejects.toThrow(/empty/);
    expect(ocr.input.safeParse({ image: 'x', language: 'deu' }).success).toBe(false);
    // a file input (format uri) in the version's schema, yet local paths pass predictor-side validation
    expect(ocr.input.shape.image.meta()).toMatchObject({ format: 'uri' });
    expect(ocr.input.safeParse({ image: '/tmp/x.png' }).success).toBe(true);
  });

  test('nothing is cached or downloaded: no traineddata copy is written', () => {
    expect(existsSync(join(process.cwd(), 'eng.traineddata'))).toBe(false);
  });
});
