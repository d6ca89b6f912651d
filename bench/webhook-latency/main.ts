/**
 * Webhook outbox benchmark: enqueue → received latency (NOTIFY wake-up vs 1 s polling) and
 * drain throughput of a burst, against a real Postgres and a real HTTP receiver on loopback.
 *
 *   npx tsc -p bench/webhook-latency/tsconfig.json && \
 *     node bench/webhook-latency/dist/bench/webhook-latency/main.js [--pg postgres://postgres@127.0.0.1:5432/test] [--n 200] [--burst 2000]
 *
 * Creates a scratch database next to the one given, and drops it at the end.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Db } from '../../engine/src/store/db';
import { migrate } from '../../engine/src/store/migrate';
import { enqueueDeliveries } from '../../engine/src/store/webhooks';
import { WebhookSender } from '../../engine/src/webhooks/outbox';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main(): Promise<void> {
  const adminUrl = arg('pg', 'postgres://postgres@127.0.0.1:5432/test');
  const n = Number(arg('n', '200'));
  const burst = Number(arg('burst', '2000'));
  const admin = new Db(adminUrl, 1);
  const name = `gantry_bench_webhooks_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new Db(url.href, 20);
  await migrate(db);

  const arrivals = new Map<string, number>();
  let onArrival: (() => void) | null = null;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.set(req.headers['webhook-id'] as string, performance.now());
      res.writeHead(204).end();
      onArrival?.();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const body = JSON.stringify({ id: 'p', status: 'succeeded', output: ['x'.repeat(200)] });
  const waitFor = (id: string) =>
    new Promise<void>((resolve) => {
      if (arrivals.has(id)) return resolve();
      onArrival = () => arrivals.has(id) && resolve();
    });

  const rows: string[] = [];
  for (const listen of [true, false]) {
    const sender = new WebhookSender(db, { listen, pollIntervalMs: 1000 });
    await sender.start();
    await new Promise((r) => setTimeout(r, 200));
    const lat: number[] = [];
    for (let i = 0; i < (listen ? n : Math.min(n, 20)); i++) {
      const t0 = performance.now();
      const [id] = await enqueueDeliveries(db, [{ url: target, event: 'completed', body, predictionId: `p${i}`, retryable: true }]);
      await waitFor(id!);
      lat.push(arrivals.get(id!)! - t0);
    }
    await sender.stop();
    rows.push(
      `| ${listen ? 'LISTEN/NOTIFY + 1 s poll' : '1 s poll only'} | ${lat.length} | ${pct(lat, 50).toFixed(1)} | ${pct(lat, 95).toFixed(1)} | ${pct(lat, 99).toFixed(1)} |`,
    );
  }

  const burstRows: string[] = [];
  for (const concurrency of [16, 64]) {
    const sender = new WebhookSender(db, { concurrency });
    await sender.start();
    const t0 = performance.now();
    const ids = await enqueueDeliveries(
      db,
      Array.from({ length: burst }, (_, i) => ({ url: target, event: 'completed', body, predictionId: `b${i}`, retryable: true })),
    );
    const last = ids[ids.length - 1]!;
    await new Promise<void>((resolve) => {
      const check = () => ids.every((id) => arrivals.has(id)) && resolve();
      onArrival = () => arrivals.has(last) && check();
      const iv = setInterval(() => {
        if (ids.every((id) => arrivals.has(id))) {
          clearInterval(iv);
          resolve();
        }
      }, 50);
    });
    const ms = performance.now() - t0;
    await sender.stop();
    burstRows.push(`| ${concurrency} | ${burst} | ${(ms / 1000).toFixed(2)} | ${Math.round(burst / (ms / 1000))} |`);
  }

  console.log('enqueue → received latency (ms), sequential');
  console.log('| wake-up | n | p50 | p95 | p99 |\n|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log('\nburst drain (one sender)');
  console.log('| concurrency | deliveries | seconds | deliveries/s |\n|---|---|---|---|');
  for (const r of burstRows) console.log(r);

  server.closeAllConnections();
  server.close();
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
