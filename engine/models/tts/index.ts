/**
 * gantry/tts — text to speech with eSpeak-NG (GPL-3.0), compiled to WebAssembly in the npm
 * package `@echogarden/espeak-ng-emscripten`. Formant synthesis: robotic but clear, 100+
 * languages, fast on one CPU core, offline (the voice data ships in the package).
 *
 * Input:
 *   text    string, 1–5000 characters (about five minutes of speech at the default speed)
 *   voice   one of VOICES (./voices.ts): a voice name or language code, default "en-us"
 *   speed   words per minute, 80–450 (eSpeak-NG's range), default 175
 *   pitch   0–99, default 50
 *
 * Output: a WAV file (16-bit PCM, mono, 22050 Hz), served by the engine as `speech.wav`.
 * Billing: `audio_output_seconds`, read from the returned file's header (data bytes / byte rate).
 *
 * The licence of eSpeak-NG stays with this module: the engine loads the package only here, by a
 * dynamic import, and skips the model when the package is not installed (see src/builtins.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { definePredictor, outputFile } from '../../src/runners/predictor';
import { abortError } from '../abort';
import { parseInput } from '../parse-input';
import { espeak, onEspeakOutput, synthesize } from './espeak';
import { VOICES } from './voices';
import { encodeWav, readWavInfo } from './wav';

export const MAX_TEXT_CHARS = 5000;

const input = z.object({
  text: z.string().min(1).max(MAX_TEXT_CHARS).describe('Text to speak'),
  voice: z.enum(VOICES).default('en-us').describe('eSpeak-NG voice name or language code, e.g. "en-us", "en-gb", "de", "fr"'),
  speed: z.number().int().min(80).max(450).default(175).describe('Speaking rate in words per minute'),
  pitch: z.number().int().min(0).max(99).default(50).describe('Base pitch, 0 (low) to 99 (high)'),
});

export default definePredictor({
  input,
  output: z.string().describe('The speech as a WAV file').meta({ format: 'uri' }),
  async setup(ctx) {
    onEspeakOutput((line) => ctx.log(`espeak-ng: ${line}`));
    const t0 = Date.now();
    await espeak();
    ctx.log(`eSpeak-NG ready in ${Date.now() - t0} ms (${VOICES.length} voices)`);
  },
  async predict(raw, ctx) {
    const { text, voice, speed, pitch } = parseInput(input, raw);
    if (!text.trim()) throw new Error('text: nothing to say (only whitespace)');
    const t0 = Date.now();
    const speech = await synthesize(text, { voice, wordsPerMinute: speed, pitch });
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    const wav = encodeWav(speech.samples, speech.sampleRate);
    const { seconds } = readWavInfo(wav);
    const path = join(ctx.tmpdir, 'speech.wav');
    await writeFile(path, wav);
    ctx.log(`spoke ${text.length} characters (${voice}, ${speed} wpm, pitch ${pitch}): ${seconds.toFixed(2)} s of audio in ${Date.now() - t0} ms`);
    ctx.metric('audio_output_seconds', seconds);
    return outputFile(path, 'audio/wav', 'speech.wav');
  },
});
