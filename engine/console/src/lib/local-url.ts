/**
 * Keeps the console on its own origin. Engine URLs (file downloads, streams) are written with the
 * engine's public URL, which may name another host for the same engine (127.0.0.1 vs localhost):
 * those are read through this origin instead. Any other URL is never fetched by the console; it
 * is only offered as a link. Pure.
 */
const ENGINE_PATHS = /^\/v1\/(files|streams)\//;

/** The same-origin path to fetch `url` from, or undefined when it is not this engine's. */
export function localPath(url: string, origin: string): string | undefined {
  if (url.startsWith('data:')) return url;
  let u: URL;
  try {
    u = new URL(url, origin);
  } catch {
    return undefined;
  }
  if (u.origin === origin || ENGINE_PATHS.test(u.pathname)) return `${u.pathname}${u.search}`;
  return undefined;
}

/** The id of an engine file URL (`/v1/files/{id}` or its download URL). */
export function engineFileId(url: string): string | undefined {
  try {
    return /^\/v1\/files\/([A-Za-z0-9_-]+)(?:\/download)?\/?$/.exec(new URL(url, 'http://x').pathname)?.[1];
  } catch {
    return undefined;
  }
}
