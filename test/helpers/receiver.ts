/** A webhook receiver on loopback that records every delivery (raw body kept for signature checks). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
  at: number;
  path: string;
}

export interface Receiver {
  url: string;
  port: number;
  deliveries: Delivery[];
  /** Answer with this status (default 204). */
  status: number;
  waitFor(pred: (d: Delivery) => boolean, timeoutMs?: number): Promise<Delivery>;
  close(): Promise<void>;
  /** Stops listening (a receiver that is down); `start()` listens again on the same port. */
  start(): Promise<void>;
}

/** `host`: where it listens (loopback unless told; the fault suite's hosts reach it on a bridge). */
export async function startReceiver(port = 0, host = '127.0.0.1'): Promise<Receiver> {
  const waiters: Array<() => void> = [];
  let server: http.Server | undefined;
  const r: Receiver = {
    url: '',
    port,
    deliveries: [],
    status: 204,
    async start() {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          r.deliveries.push({ headers: req.headers, body, json, at: Date.now(), path: req.url ?? '' });
          res.writeHead(r.status).end();
          for (const w of [...waiters]) w();
        });
      });
      await new Promise<void>((resolve) => server!.listen(r.port, host, () => resolve()));
      r.port = (server.address() as AddressInfo).port;
      r.url = `http://${host}:${r.port}`;
    },
    waitFor(pred, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = r.deliveries.find(pred);
          if (found) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(check), 1);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`no matching delivery in ${timeoutMs} ms; got ${r.deliveries.length}: ${r.deliveries.map((d) => d.json?.status).join(',')}`));
        }, timeoutMs);
        waiters.push(check);
        check();
      });
    },
    async close() {
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    },
  };
  await r.start();
  return r;
}
