/**
 * HTTP below the clients: bytes written to a TCP socket as they are, and the server's answer read
 * until it closes or goes quiet. For requests no client would send (broken framing, oversized
 * headers, a path `fetch` would normalise) and for checking exactly what came back.
 */
import { connect } from 'node:net';

export interface RawAnswer {
  /** The status of the first response line; undefined when nothing parseable came back. */
  status?: number;
  headers: Record<string, string>;
  body: string;
  /** Everything received, as text. */
  raw: string;
  /** The socket ended with an error (reset) rather than cleanly. */
  reset: boolean;
  /** Nothing at all arrived. */
  silent: boolean;
  /** The server closed the connection (rather than this side giving up waiting). */
  closedByServer: boolean;
}

/** Parses the first HTTP response in `raw` (Content-Length or read-to-close bodies; no chunked decoding needed here). */
export function parseRawAnswer(raw: string, reset: boolean, closedByServer = true): RawAnswer {
  const end = raw.indexOf('\r\n\r\n');
  const head = end >= 0 ? raw.slice(0, end) : raw;
  const [statusLine, ...lines] = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = end >= 0 ? raw.slice(end + 4) : '';
  const length = Number(headers['content-length']);
  if (Number.isInteger(length)) body = Buffer.from(body).subarray(0, length).toString();
  return { status: m ? Number(m[1]) : undefined, headers, body, raw, reset, silent: raw.length === 0, closedByServer };
}

/**
 * Writes `request` (bytes or text) to host:port and collects the answer. Resolves once the server
 * closes, `quietMs` after the last bytes arrived when the connection stays open, or after
 * `silenceMs` when nothing arrives at all (the server may rightly wait for the rest of a request).
 */
export function rawRequest(url: string, request: string | Buffer, quietMs = 1500, maxMs = 20_000, silenceMs = 5000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let reset = false;
    let done = false;
    let quiet: NodeJS.Timeout | undefined;
    const socket = connect(Number(port), hostname);
    const finish = (byServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(quiet);
      clearTimeout(limit);
      socket.destroy();
      resolve(parseRawAnswer(Buffer.concat(chunks).toString(), reset, byServer));
    };
    const limit = setTimeout(() => finish(false), maxMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(false), quietMs);
    });
    socket.on('error', () => {
      reset = true;
      finish(true);
    });
    socket.on('close', () => finish(true));
    // A server that never answers is also an answer: nothing, after a while.
    quiet = setTimeout(() => finish(false), silenceMs);
  });
}
