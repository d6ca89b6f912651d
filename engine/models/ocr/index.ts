/**
 * gantry/ocr — optical character recognition with tesseract.js 7 (Apache-2.0) and the English
 * LSTM model `4.0.0_best_int` shipped by the npm package `@tesseract.js-data/eng` (MIT).
 * Everything is local: the traineddata is read from node_modules (no `langPath` download, no
 * cache read or write), and tesseract.js loads its worker script and core wasm from node_modules.
 *
 * Input:
 *   image     string — a data URI (data:image/png;base64,...), a local absolute file path, or a
 *             file:// URL. The engine turns http(s) URLs and its own file URLs into one of those
 *             before predict; as a fallback an http(s) URL is fetched here (cancel-aware).
 *   language  "eng" (default; the only language shipped)
 *
 * Output:
 *   {
 *     text: string,            // recognised text, lines separated by "\n", trimmed
 *     confidence: number,      // mean confidence of the page, 0..100
 *     words: Array<{ text: string, confidence: number, bbox: { x0, y0, x1, y1 } }>
 *   }
 *
 * One tesseract worker is created in setup() and reused by every prediction of the instance.
 * Billing: hardware time (predict_time x the CPU price); no per-unit metric is reported.
 */
import { join, dirname } from 'node:path';
import { z } from 'zod';
import { createWorker, OEM, type Worker, type Block } from 'tesseract.js';
import { definePredictor } from '../../src/runners/predictor';
import { abortError } from '../abort';
import { readFileInput } from '../file-input';

const LANGUAGES = ['eng'] as const;
type Language = (typeof LANGUAGES)[number];

/** Directory holding `<lang>.traineddata.gz` for the LSTM-only engine. */
function langPath(lang: Language): string {
  const pkg = require.resolve(`@tesseract.js-data/${lang}/package.json`);
  return join(dirname(pkg), '4.0.0_best_int');
}

const workers = new Map<Language, Promise<Worker>>();

function getWorker(lang: Language): Promise<Worker> {
  let w = workers.get(lang);
  if (!w) {
    w = createWorker(lang, OEM.LSTM_ONLY, {
      langPath: langPath(lang),
      gzip: true,
      cacheMethod: 'none', // never read or write a cache copy of the traineddata
      logger: () => {},
      errorHandler: () => {},
    });
    // a failed start must not poison later attempts
    w.catch(() => workers.delete(lang));
    workers.set(lang, w);
  }
  return w;
}

/** Turns the `image` input into bytes. */
export function loadImage(image: string, signal?: AbortSignal): Promise<Buffer> {
  return readFileInput('image', image, signal);
}

export interface OcrWord {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

function collectWords(blocks: Block[] | null): OcrWord[] {
  const words: OcrWord[] = [];
  for (const block of blocks ?? []) {
    for (const para of block.paragraphs) {
      for (const line of para.lines) {
        for (const w of line.words) {
          words.push({
            text: w.text,
            confidence: round(w.confidence),
            bbox: { x0: w.bbox.x0, y0: w.bbox.y0, x1: w.bbox.x1, y1: w.bbox.y1 },
          });
        }
      }
    }
  }
  return words;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export default definePredictor({
  input: z.object({
    image: z
      .string()
      .min(1)
      .describe('Image to read: a data URI, an http(s) URL, or a local absolute file path')
      .meta({ format: 'uri' }), // a file input in Replicate's schema convention
    language: z.enum(LANGUAGES).default('eng').describe('Language of the text'),
  }),
  output: z.object({
    text: z.string(),
    confidence: z.number(),
    words: z.array(
      z.object({
        text: z.string(),
        confidence: z.number(),
        bbox: z.object({ x0: z.number(), y0: z.number(), x1: z.number(), y1: z.number() }),
      }),
    ),
  }),
  async setup(ctx) {
    const t0 = Date.now();
    await getWorker('eng');
    ctx.log(`tesseract worker ready (eng, 4.0.0_best_int) in ${Date.now() - t0} ms`);
  },
  async predict(input, ctx) {
    const lang: Language = input.language ?? 'eng';
    const bytes = await loadImage(input.image, ctx.signal);
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    const worker = await getWorker(lang);
    const t0 = Date.now();
    // tesseract.js cannot interrupt a running recognition; a cancel is honoured as soon as it ends
    const result = await worker.recognize(bytes, {}, { text: true, blocks: true });
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    ctx.log(`recognised ${bytes.length} bytes in ${Date.now() - t0} ms`);
    const page = result.data;
    return {
      text: page.text.trim(),
      confidence: round(page.confidence),
      words: collectWords(page.blocks),
    };
  },
});

/** Terminates the shared tesseract workers (tests and clean shutdown). */
export async function shutdown(): Promise<void> {
  const all = [...workers.values()];
  workers.clear();
  await Promise.all(all.map(async (w) => (await w.catch(() => null))?.terminate()));
}
