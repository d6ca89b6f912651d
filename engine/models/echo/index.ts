/**
 * gantry/echo — returns its input text. The engine's smoke-test and overhead-benchmark model.
 *
 * Input:  { text = "hello", sleep = 0 (seconds, cancel-aware), fail = false, stream_chunks = 0 }
 * Output: the text; or, when stream_chunks > 0, the array of chunks (each also emitted via
 *         ctx.emit with a short pause between them).
 */
import { z } from 'zod';
import { definePredictor } from '../../src/runners/predictor';
import { abortError } from '../abort';

/** Pause between streamed chunks, in milliseconds. */
const CHUNK_PAUSE_MS = 10;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}


/** Splits text into `n` contiguous chunks of near-equal length (some empty when n > length). */
export function splitChunks(text: string, n: number): string[] {
  const chars = Array.from(text); // code points, so surrogate pairs stay whole
  const chunks: string[] = [];
  for (let i = 0; i < n; i++) {
    const start = Math.floor((i * chars.length) / n);
    const end = Math.floor(((i + 1) * chars.length) / n);
    chunks.push(chars.slice(start, end).join(''));
  }
  return chunks;
}

export default definePredictor({
  input: z.object({
    text: z.string().default('hello').describe('Text to return'),
    sleep: z.number().min(0).max(600).default(0).describe('Seconds to wait before answering (honours cancel)'),
    fail: z.boolean().default(false).describe('Throw an error instead of answering'),
    stream_chunks: z
      .number()
      .int()
      .min(0)
      .max(10000)
      .default(0)
      .describe('When > 0, stream the text in this many chunks; the output is the array of chunks'),
  }),
  output: z.union([z.string(), z.array(z.string())]),
  streams: true,
  async predict(input, ctx) {
    if (input.sleep > 0) await sleep(input.sleep * 1000, ctx.signal);
    if (input.fail) throw new Error('echo asked to fail');
    if (input.stream_chunks > 0) {
      const chunks = splitChunks(input.text, input.stream_chunks);
      for (let i = 0; i < chunks.length; i++) {
        if (i > 0) await sleep(CHUNK_PAUSE_MS, ctx.signal);
        else if (ctx.signal.aborted) throw abortError(ctx.signal);
        ctx.emit(chunks[i]);
      }
      return chunks;
    }
    return input.text;
  },
});
