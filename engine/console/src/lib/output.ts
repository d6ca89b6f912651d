/**
 * What a prediction's output looks like in a preview: text (a streamed list of strings reads as
 * one text, as Replicate shows it), JSON, or files (images, audio and video play inline when they
 * come from this engine or a data URI; anything else is a link). Pure.
 */
export type Media = 'image' | 'audio' | 'video';

export type PreviewItem =
  | { kind: 'text'; text: string }
  | { kind: 'json'; value: unknown }
  | { kind: 'file'; url: string; media?: Media };

const isUrl = (s: string) => /^(https?:\/\/|data:)/i.test(s);

/** The media kind of a content type (`image/png` → image). */
export function mediaOfType(contentType: string | undefined | null): Media | undefined {
  const m = /^(image|audio|video)\//i.exec(contentType ?? '');
  return m ? (m[1].toLowerCase() as Media) : undefined;
}

/** The media kind a URL's data: type or file extension says, if any. */
export function mediaOfUrl(url: string): Media | undefined {
  if (url.startsWith('data:')) return mediaOfType(url.slice(5, url.indexOf(';') > 0 ? url.indexOf(';') : undefined));
  const path = url.split(/[?#]/)[0].toLowerCase();
  if (/\.(png|jpe?g|webp|gif|avif|svg|bmp)$/.test(path)) return 'image';
  if (/\.(wav|mp3|ogg|oga|flac|m4a|aac|opus)$/.test(path)) return 'audio';
  if (/\.(mp4|webm|mov|mkv)$/.test(path)) return 'video';
  return undefined;
}

export function previewItems(output: unknown): PreviewItem[] {
  if (output === null || output === undefined) return [];
  if (typeof output === 'string') return isUrl(output) ? [{ kind: 'file', url: output, media: mediaOfUrl(output) }] : [{ kind: 'text', text: output }];
  if (typeof output === 'number' || typeof output === 'boolean') return [{ kind: 'text', text: String(output) }];
  if (Array.isArray(output)) {
    if (output.length && output.every((x) => typeof x === 'string' && isUrl(x))) {
      return (output as string[]).map((url) => ({ kind: 'file', url, media: mediaOfUrl(url) }));
    }
    if (output.every((x) => typeof x === 'string')) return [{ kind: 'text', text: (output as string[]).join('') }];
  }
  return [{ kind: 'json', value: output }];
}
