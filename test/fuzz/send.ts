/**
 * Sends a generated request and reports what came back, or that nothing did: Node's `http`
 * client (it sends any method, header and already-encoded path as given) over a keep-alive agent,
 * so connections are reused after errors as real clients reuse them; raw bytes over a socket.
 */
import http from 'node:http';
import { rawRequest } from '../helpers/raw-http';
import { materializeBody, targetOf, type RequestSpec } from './requests';

export type Outcome =
  | { answered: true; status: number; headers: http.IncomingHttpHeaders; body: string; ms: number }
  | { answered: false; error: string; ms: number }
  /** Raw bytes that are an unfinished request: the server rightly waits for the rest. */
  | { answered: 'waiting'; ms: number };

/** Bodies are read up to this much (answers are small; a download could be large). */
const MAX_READ = 1024 * 1024;

export function sender(baseUrl: string, concurrency: number) {
  const { hostname, port } = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  // What each connection carried last: a request that breaks a reused connection is often the
  // victim of the one before it.
  const lastOnSocket = new WeakMap<object, string>();

  function sendHttp(spec: Extract<RequestSpec, { mode: 'http' }>, timeoutMs: number): Promise<Outcome> {
    const started = Date.now();
    const body = spec.body ? materializeBody(spec.body) : undefined;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      let req: http.ClientRequest;
      try {
        req = http.request({ host: hostname, port, method: spec.method, path: targetOf(spec), headers: spec.headers, agent });
      } catch (err) {
        // The client itself refused (an invalid header or path): not a request the server saw.
        settle({ answered: false, error: `client refused: ${(err as Error).message}`, ms: 0 });
        return;
      }
      const timer = setTimeout(() => {
        settle({ answered: false, error: `no answer within ${timeoutMs} ms`, ms: Date.now() - started });
        req.destroy();
      }, timeoutMs);
      let previous = 'nothing (a new connection)';
      const label = `${spec.method} ${targetOf(spec).slice(0, 120)} ${JSON.stringify(spec.headers).slice(0, 200)} ${spec.body ? JSON.stringify(spec.body).slice(0, 100) : "no body"}`;
      req.on('socket', (socket) => {
        previous = lastOnSocket.get(socket) ?? previous;
        lastOnSocket.set(socket, label);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_READ) chunks.push(c);
        });
        res.on('end', () => settle({ answered: true, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), ms: Date.now() - started }));
        res.on('error', (err) => settle({ answered: false, error: `response broke: ${err.message}`, ms: Date.now() - started }));
      });
      req.on('error', (err: Error & { code?: string }) =>
        settle({ answered: false, error: `${err.code ?? 'error'}: ${err.message} (the connection last carried ${previous})`, ms: Date.now() - started }),
      );
      // A body always travels with its length: without one, the server would read it as the next request.
      const sent = body && spec.method !== 'HEAD' ? body : undefined;
      if (sent) req.setHeader('content-length', sent.length);
      req.end(sent);
    });
  }

  async function sendRaw(spec: Extract<RequestSpec, { mode: 'raw' }>): Promise<Outcome> {
    const started = Date.now();
    const answer = await rawRequest(baseUrl, spec.bytes, 500, 15_000, 2000);
    if (answer.status === undefined) {
      if (answer.silent && !answer.closedByServer) return { answered: 'waiting', ms: Date.now() - started };
      return { answered: false, error: answer.silent ? 'closed without an answer' : `unreadable answer: ${answer.raw.slice(0, 80)}`, ms: Date.now() - started };
    }
    return { answered: true, status: answer.status, headers: answer.headers, body: answer.body, ms: Date.now() - started };
  }

  return {
    send: (spec: RequestSpec, timeoutMs: number) => (spec.mode === 'raw' ? sendRaw(spec) : sendHttp(spec, timeoutMs)),
    close: () => agent.destroy(),
  };
}
