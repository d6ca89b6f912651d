/**
 * gantry/image-resize — resizes and converts images with sharp (Apache-2.0; libvips, LGPL-3.0,
 * comes prebuilt in @img/sharp-libvips-*).
 *
 * Input:
 *   image    file input (`format: uri`): the engine hands over a local path or a data URI
 *   width    target width in pixels, 1–16384 (optional)
 *   height   target height in pixels, 1–16384 (optional); at least one of width and height.
 *            With only one, the other follows the aspect ratio.
 *   fit      how the image fits a width × height box (sharp's names): cover (crop to fill, the
 *            default), contain (letterbox: transparent bars, white for jpeg), fill (stretch),
 *            inside (fit within the box), outside (cover the box without cropping)
 *   format   png | jpeg | webp | avif; default: the input's format when it is one of those,
 *            otherwise png
 *   quality  1–100 for jpeg, webp and avif (default: sharp's, 80 for jpeg/webp and 50 for avif);
 *            png is lossless and ignores it
 *
 * The image is turned upright first (EXIF orientation), so width and height are as seen.
 * Output: the image file, served by the engine as `resized.<ext>`.
 * Billing: `image_count` = 1 per output image.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { definePredictor, outputFile } from '../../src/runners/predictor';
import { abortError } from '../abort';
import { parseInput } from '../parse-input';
import { readFileInput } from '../file-input';

const FORMATS = ['png', 'jpeg', 'webp', 'avif'] as const;
type Format = (typeof FORMATS)[number];
const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'] as const;

const CONTENT_TYPE: Record<Format, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
};
const EXTENSION: Record<Format, string> = { png: 'png', jpeg: 'jpg', webp: 'webp', avif: 'avif' };

export const MAX_SIDE = 16384;
const side = (what: string) => z.number().int().min(1).max(MAX_SIDE).optional().describe(`${what} of the output in pixels`);

const input = z
  .object({
    image: z
      .string()
      .min(1)
      .describe('Image to resize: a data URI, an http(s) URL, or a local absolute file path')
      .meta({ format: 'uri' }), // a file input in Replicate's schema convention
    width: side('Width'),
    height: side('Height'),
    fit: z.enum(FITS).default('cover').describe('How the image fits when both width and height are given'),
    format: z.enum(FORMATS).optional().describe("Output format; default: the input's format if listed, else png"),
    quality: z.number().int().min(1).max(100).optional().describe('Quality of jpeg, webp and avif output (png is lossless)'),
  })
  .refine((i) => i.width !== undefined || i.height !== undefined, {
    message: 'give width, height or both',
    path: ['width'],
  })
  // The same rule in the version's JSON schema, so that the API answers 422 naming the fields.
  .meta({ anyOf: [{ required: ['width'] }, { required: ['height'] }] });

/** The output format asked for, or the input's own when it is one we write. */
function outputFormat(asked: Format | undefined, inputFormat: string | undefined): Format {
  if (asked) return asked;
  if (inputFormat === 'jpg') return 'jpeg';
  if (inputFormat === 'heif') return 'avif'; // sharp reports AVIF files as heif
  return (FORMATS as readonly string[]).includes(inputFormat ?? '') ? (inputFormat as Format) : 'png';
}

/** Colour of the bars `fit: contain` adds: transparent, except in jpeg, which has no alpha. */
function letterbox(format: Format): sharp.Color {
  return format === 'jpeg' ? { r: 255, g: 255, b: 255, alpha: 1 } : { r: 0, g: 0, b: 0, alpha: 0 };
}

export default definePredictor({
  input,
  output: z.string().describe('The resized image').meta({ format: 'uri' }),
  async predict(raw, ctx) {
    const { image, width, height, fit, format, quality } = parseInput(input, raw);
    const bytes = await readFileInput('image', image, ctx.signal);
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    let meta: sharp.Metadata;
    try {
      meta = await sharp(bytes).metadata();
    } catch (e) {
      throw new Error(`image: not an image that can be read (${(e as Error).message})`);
    }
    const target = outputFormat(format, meta.format);
    const t0 = Date.now();
    const pipeline = sharp(bytes).autoOrient().resize({ width, height, fit, background: letterbox(target) });
    const lossy = target === 'png' ? {} : { quality };
    const out = await pipeline.toFormat(target, lossy).toBuffer({ resolveWithObject: true }).catch((e: Error) => {
      throw new Error(`image: cannot convert the ${meta.format ?? 'input'} image to ${target} (${e.message})`);
    });
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    const path = join(ctx.tmpdir, `resized.${EXTENSION[target]}`);
    await writeFile(path, out.data);
    ctx.log(
      `${meta.format} ${meta.width}x${meta.height} -> ${target} ${out.info.width}x${out.info.height} ` +
        `(fit ${fit}${quality !== undefined && target !== 'png' ? `, quality ${quality}` : ''}) in ${Date.now() - t0} ms`,
    );
    ctx.metric('image_count', 1);
    return outputFile(path, CONTENT_TYPE[target], `resized.${EXTENSION[target]}`);
  },
});
