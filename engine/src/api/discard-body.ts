/**
 * Reading what is left of a request body the engine will not use, so that the client sees the
 * answer (a 413, a 400) instead of a connection reset. A server that answers and closes while the
 * client is still sending leaves unread bytes in its socket, and closing a socket with unread
 * bytes sends a TCP reset, which can destroy the answer before the client reads it. `fetch`
 * (undici, which the official client uses) with several uploads in flight sees this often.
 */
import type { IncomingMessage } from 'node:http';

/** Read and discard at most this much of a rejected body; beyond it the connection is closed. */
export const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
/** ... and for at most this long (a slow sender is not waited on forever). */
export const DISCARD_MAX_MS = 10_000;

/**
 * Resolves true once the body has been read to its end (the connection can be kept), false when
 * the bounds ran out first or the stream failed (the connection should close).
 */
export function discardBody(raw: IncomingMessage, maxBytes = DISCARD_MAX_BYTES, maxMs = DISCARD_MAX_MS): Promise<boolean> {
  if (raw.complete || raw.readableEnded) return Promise.resolve(true);
  const declared = Number(raw.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (whole: boolean) => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
      raw.off('close', onError);
      resolve(whole);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) {
        raw.pause();
        finish(false);
      }
    };
    const onEnd = () => finish(true);
    const onError = () => finish(raw.complete);
    const timer = setTimeout(() => finish(false), maxMs);
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
    raw.on('close', onError);
    raw.resume();
  });
}
