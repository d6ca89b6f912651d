/**
 * A separate listener (GANTRY_METRICS_LISTEN=host:port) for Prometheus and probes: `/metrics`,
 * `/health` and `/health/ready`, without auth, so that they can be kept on a private address while
 * the API listens publicly. `gantry worker` processes, which have no API, use it too.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderMetrics } from './metrics';
import type { ReadinessReport } from './readiness';

export interface MetricsServerOptions {
  host: string;
  port: number;
  /** Updates the cluster gauges before a scrape (API processes). */
  refresh?: () => Promise<void>;
  ready: () => Promise<ReadinessReport>;
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => res.writeHead(status, { 'content-type': type }).end(body);
    const fail = (err: Error) => send(500, 'text/plain', `error: ${err.message}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') send(405, 'text/plain', 'only GET\n');
    else if (path === '/metrics') {
      renderMetrics(opts.refresh).then((m) => send(200, m.contentType, m.body), fail);
    } else if (path === '/health') {
      send(200, 'application/json', JSON.stringify({ status: 'ok' }));
    } else if (path === '/health/ready') {
      opts.ready().then((r) => send(r.status === 'ready' ? 200 : 503, 'application/json', JSON.stringify(r)), fail);
    } else send(404, 'text/plain', 'not found: /metrics, /health and /health/ready live here\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
