/**
 * Signed download URLs for stored files: `<public>/v1/files/<id>/download?expires=<unix s>&sig=<hmac>`.
 * The signature (HMAC-SHA256 of `<id>.<expires>` with an engine secret, base64url) is the
 * capability: the official client fetches file outputs without auth. Pure: no I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

function signature(secret: string, id: string, expires: number): string {
  return createHmac('sha256', secret).update(`${id}.${expires}`).digest('base64url');
}

export function signedDownloadUrl(publicUrl: string, secret: string, id: string, ttlSeconds: number, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + Math.max(1, Math.round(ttlSeconds));
  return `${publicUrl}/v1/files/${id}/download?expires=${expires}&sig=${signature(secret, id, expires)}`;
}

export type DownloadCheck = { ok: true } | { ok: false; reason: string };

export function checkDownloadSignature(secret: string, id: string, expires: unknown, sig: unknown, now = Date.now()): DownloadCheck {
  if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof sig !== 'string' || sig === '') {
    return { ok: false, reason: 'the download URL is not signed (expires and sig are required)' };
  }
  const expected = Buffer.from(signature(secret, id, Number(expires)));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'the download URL signature is invalid' };
  if (Number(expires) * 1000 < now) return { ok: false, reason: 'the download URL has expired' };
  return { ok: true };
}

/**
 * The file id when `url` is one of this engine's file URLs (`urls.get` or a download URL) under
 * `publicUrl`; undefined otherwise.
 */
export function engineFileId(url: string, publicUrl: string): string | undefined {
  let u: URL;
  let base: URL;
  try {
    u = new URL(url);
    base = new URL(publicUrl);
  } catch {
    return undefined;
  }
  if (u.origin !== base.origin) return undefined;
  const prefix = base.pathname.replace(/\/$/, '');
  const m = /^\/v1\/files\/([A-Za-z0-9_-]+)(?:\/download)?\/?$/.exec(u.pathname.slice(prefix.length));
  return m && u.pathname.startsWith(prefix) ? m[1] : undefined;
}

/**
 * The Content-Disposition of a download: a quoted printable-ASCII fallback (header values must be
 * Latin-1, and quotes or line breaks would end the value) plus the exact name in RFC 5987 UTF-8.
 */
export function contentDisposition(name: string): string {
  const safe = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename="${safe}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
