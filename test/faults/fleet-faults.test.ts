/**
 * Proof under faults. A fleet on this machine as separate hosts (Linux network namespaces on a
 * bridge): 2 API replicas, 2 controllers, 3 workers with two declared T4s each, Redis on a host of
 * its own, Postgres (the machine's) reached through a forwarder on the bridge. A steady load of
 * sync and async predictions (async ones with a webhook) runs while these faults are injected, one
 * after the other:
 *
 *   1. `kill -9` of a worker running a prediction (restarted later, as a supervisor would);
 *   2. SIGSTOP of the active controller for longer than its lease, then SIGCONT;
 *   3. a worker cut off from the network (its end of the link keeps working: packets are lost);
 *   4. Redis killed and restarted empty (every job lost);
 *   5. an API replica killed with requests in flight.
 *
 * Every accepted prediction is recorded, and at the end: each reached exactly one terminal state
 * (one status, one usage record, every webhook body agreeing); none ran twice unless recorded as
 * a retry (runs ≤ attempts, from the model's own run log); no device was ever held by two
 * instances (sampled from the instance processes themselves, every 250 ms); every final webhook
 * arrived at least once with one stable webhook-id; the stale controller's writes were refused by
 * the database (counted). The recovery time of each fault is printed and written to
 * $TMPDIR/gantry-fault-report.json (BENCHMARKS.md, "Fault suite").
 *
 * Needs root and `ip netns`; where they are missing the suite fails saying so (never skips).
 */
import { readFileSync, readdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { createDatabase, dropDatabase } from '../helpers/engine';
import { spawnRole, type RoleProcess } from '../helpers/fleet';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { Network, unavailable } from './netns';

jest.setTimeout(8 * 60_000);

const ADMIN_URL = process.env.GANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PROBE = join(__dirname, '..', 'fixtures', 'predictors', 'fault-probe.js');
const TERMINAL = ['succeeded', 'failed', 'canceled', 'aborted'];
const LEASE_SECONDS = 10;
const RUN = randomBytes(4).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sent {
  seq: string;
  kind: 'sync' | 'async';
  api: string;
  sentAt: number;
  /** The id the client was told (accepted), if it was told. */
  id?: string;
  status?: number;
  error?: string;
}

interface Recovery {
  fault: string;
  /** What was measured and the seconds it took. */
  measures: Record<string, number>;
  notes?: string;
}

const reason = unavailable();

if (reason) {
  test('the fault suite needs network namespaces', () => {
    throw new Error(`the fault suite cannot run on this machine: ${reason}. It needs Linux, root and iproute2 (\`ip netns\`); CI runs it as root.`);
  });
} else {
  describe('a fleet under faults', () => {
    let net: Network;
    let databaseUrl: string;
    let db: Client;
    let proxy: ChildProcess | undefined;
    let redis: ChildProcess | undefined;
    let receiver: Receiver;
    const procs = new Map<string, RoleProcess>();
    const runLog = join(mkdtempSync(join(tmpdir(), 'gantry-faults-')), 'runs.jsonl');
    const token = `fault_${randomBytes(12).toString('hex')}`;
    const sent: Sent[] = [];
    const recoveries: Recovery[] = [];
    const overcommits: string[] = [];
    let samples = 0;
    /** The slowest device sample (ms): reading /proc must not stall the harness. */
    let slowestSample = 0;
    /** The harness's own event-loop lag (ms), so a stalled harness is not mistaken for a stalled fleet. */
    let maxLag = 0;
    let env: Record<string, string>;

    const q = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => (await db.query(sql, params)).rows;

    function startRedis(): Promise<void> {
      const host = net.host('redis');
      redis = net.spawn('redis', 'redis-server', ['--bind', host.ip, '--port', '6379', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--dir', tmpdir()], { stdio: ['ignore', 'pipe', 'pipe'] });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('redis did not start')), 15_000);
        redis!.stdout!.on('data', (c: Buffer) => {
          if (/Ready to accept connections/.test(c.toString())) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    }

    async function start(label: string, role: 'api' | 'controller' | 'worker', extra: Record<string, string> = {}): Promise<RoleProcess> {
      const host = net.host(label);
      const p = await spawnRole(role, label, { ...env, GANTRY_HOST: host.ip, GANTRY_PORT: '8787', GANTRY_DATA_DIR: mkdtempSync(join(tmpdir(), `gantry-${label}-`)), ...extra }, (cmd, args, opts) =>
        net.spawn(label, cmd, args, opts),
      );
      procs.set(label, p);
      return p;
    }

    const startWorker = (label: string) => start(label, 'worker', { GANTRY_WORKER_NAME: label, GANTRY_GPUS: 'gpu-t4:2', GANTRY_CPU_SLOTS: '1' });

    /** Every 250 ms: which instance processes hold which devices on which worker. Two on one device is an over-commit. */
    function sampleDevices(): NodeJS.Timeout {
      const marker = `GANTRY_FAULT_RUNLOG=${runLog}`;
      const timer = setInterval(() => {
        const began = Date.now();
        const holders = new Map<string, number[]>();
        for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
          let environ: string;
          let cmdline: string;
          try {
            cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
            if (!cmdline.includes('node-host')) continue;
            environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
          } catch {
            continue; // exited meanwhile
          }
          const vars = environ.split('\0');
          if (!vars.includes(marker)) continue;
          const worker = vars.find((v) => v.startsWith('GANTRY_WORKER_NAME='))?.slice(19);
          const devices = vars.find((v) => v.startsWith('CUDA_VISIBLE_DEVICES='))?.slice(21) ?? '';
          for (const d of devices.split(',').filter(Boolean)) {
            const key = `${worker}#${d}`;
            holders.set(key, [...(holders.get(key) ?? []), Number(pid)]);
          }
        }
        samples++;
        slowestSample = Math.max(slowestSample, Date.now() - began);
        for (const [key, pids] of holders) if (pids.length > 1) overcommits.push(`${new Date().toISOString()} ${key}: pids ${pids.join(', ')}`);
      }, 250);
      timer.unref();
      return timer;
    }

    /** A client behind a load balancer: a replica that refuses the connection is skipped. */
    async function submit(kind: 'sync' | 'async', version: string, sleepSeconds: number, onlyApi?: string): Promise<Sent> {
      const seq = `${kind[0]}${sent.length + 1}`;
      const apis = onlyApi ? [onlyApi] : ['api1', 'api2'].sort(() => Math.random() - 0.5);
      const s: Sent = { seq, kind, api: apis[0], sentAt: Date.now() };
      sent.push(s);
      const body = {
        version,
        input: { seq, sleep: sleepSeconds },
        tags: { run: RUN, seq },
        ...(kind === 'async' ? { webhook: `${receiver.url}/hook/${seq}`, webhook_events_filter: ['completed'] } : {}),
      };
      for (const api of apis) {
        if (procs.get(api)?.exited) continue;
        s.api = api;
        try {
          const res = await fetch(`http://${net.host(api).ip}:8787/v1/predictions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(kind === 'sync' ? { prefer: 'wait=30' } : {}) },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(45_000),
          });
          s.status = res.status;
          const json: any = await res.json().catch(() => undefined);
          if (json?.id) s.id = json.id;
          return s;
        } catch (err) {
          const code = (err as { cause?: { code?: string } }).cause?.code;
          s.error = code ?? (err as Error).message;
          if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH') continue; // never reached it: the next replica
          return s; // reached it, then lost it: the prediction may exist (the check reads the database)
        }
      }
      return s;
    }

    const waitUntil = async <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const v = await check().catch(() => undefined);
        if (v !== undefined && v !== false) return v as T;
        await sleep(200);
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    const seconds = (from: number, to: number) => Math.round((to - from) / 100) / 10;

    beforeAll(async () => {
      net = new Network();
      for (const [name, octet] of [['api1', 11], ['api2', 12], ['ctl1', 21], ['ctl2', 22], ['w1', 31], ['w2', 32], ['w3', 33], ['redis', 40]] as const) net.add(name, octet);
      databaseUrl = await createDatabase();
      const dbName = new URL(databaseUrl).pathname.slice(1);
      const target = new URL(ADMIN_URL);
      proxy = (await import('node:child_process')).spawn(process.execPath, [join(__dirname, 'tcp-proxy.js'), net.gateway, '5432', target.hostname, target.port || '5432'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => proxy!.stdout!.once('data', () => resolve()));
      await startRedis();
      receiver = await startReceiver(0, net.gateway);
      const fleetUrl = new URL(ADMIN_URL);
      fleetUrl.hostname = net.gateway;
      fleetUrl.port = '5432';
      fleetUrl.pathname = `/${dbName}`;
      env = {
        DATABASE_URL: fleetUrl.toString(),
        REDIS_URL: `redis://${net.host('redis').ip}:6379`,
        GANTRY_API_TOKEN: token,
        GANTRY_PUBLIC_URL: `http://${net.host('api1').ip}:8787`,
        GANTRY_MAX_INSTANCES: '6',
        GANTRY_LEASE_SECONDS: String(LEASE_SECONDS),
        GANTRY_WEBHOOK_RETRY_BASE_MS: '500',
        GANTRY_FAULT_RUNLOG: runLog,
      };
      db = new Client({ connectionString: databaseUrl });
      await db.connect();
      await start('api1', 'api'); // migrates
      await Promise.all([start('api2', 'api'), start('ctl1', 'controller'), start('ctl2', 'controller'), startWorker('w1'), startWorker('w2'), startWorker('w3')]);
    }, 180_000);

    afterAll(async () => {
      await Promise.all([...procs.values()].map((p) => p.stop().catch(() => undefined)));
      redis?.kill('SIGKILL');
      proxy?.kill('SIGTERM');
      await net?.teardown();
      await receiver?.close();
      await db?.end().catch(() => undefined);
      if (databaseUrl) await dropDatabase(databaseUrl);
      // Keep what explains a failure: each process's output next to the run log.
      for (const [label, p] of procs) writeFileSync(join(runLog, '..', `${label}.log`), p.output());
    });

    test('every accepted prediction survives kills, a paused controller, a partition, a Redis restart and an API crash', async () => {
      const call = (path: string, body: unknown) =>
        fetch(`http://${net.host('api1').ip}:8787${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
      await call('/v1/models', { owner: 'faults', name: 'probe', visibility: 'private', hardware: 'gpu-t4' });
      const version = (await call('/v1/models/faults/probe/versions', { runner: { type: 'node', module: PROBE }, hardware: 'gpu-t4' })).id;
      expect(version).toMatch(/^[0-9a-f]{64}$/);
      // One controller leads before the load starts.
      await waitUntil('a leader', async () => (await Promise.all(['ctl1', 'ctl2'].map((c) => procs.get(c)!.health()))).some((h) => h.leader), 30_000);

      const sampler = sampleDevices();
      let tickAt = Date.now();
      const lagTimer = setInterval(() => {
        maxLag = Math.max(maxLag, Date.now() - tickAt - 100);
        tickAt = Date.now();
      }, 100);
      let loading = true;
      const inflight = new Set<Promise<unknown>>();
      const load = (async () => {
        for (let i = 0; loading; i++) {
          const p = submit(i % 2 ? 'async' : 'sync', version, 0.3 + Math.random() * 0.7);
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
          await sleep(330);
        }
      })();
      await sleep(8000);

      // 1. kill -9 a worker mid-prediction.
      const busy = await waitUntil('a worker running a prediction', async () => {
        const [r] = await q(`SELECT w.name, w.id FROM predictions p JOIN workers w ON w.id = p.worker_id WHERE p.status = 'processing' AND w.name IN ('w1','w2','w3') LIMIT 1`);
        return r;
      });
      const running = (await q(`SELECT id FROM predictions WHERE status = 'processing' AND worker_id = $1`, [busy.id])).map((r) => r.id);
      const killedAt = Date.now();
      await procs.get(busy.name)!.kill();
      const lostAt = await waitUntil('the killed worker declared lost', async () => (await q(`SELECT lost_at FROM workers WHERE id = $1 AND lost_at IS NOT NULL`, [busy.id]))[0]?.lost_at as Date | undefined, 45_000);
      const interrupted = await waitUntil('its predictions interrupted', async () => {
        const rows = await q(`SELECT status, error, completed_at FROM predictions WHERE id = ANY($1)`, [running]);
        return rows.every((r) => TERMINAL.includes(r.status)) ? rows : undefined;
      });
      expect(interrupted.every((r) => r.status === 'failed' && /interrupted/.test(r.error))).toBe(true);
      const replaced = await waitUntil('new work succeeding elsewhere', async () => {
        const [r] = await q(`SELECT p.completed_at FROM predictions p JOIN workers w ON w.id = p.worker_id WHERE p.status = 'succeeded' AND p.created_at > to_timestamp($1 / 1000.0) AND w.name <> $2 ORDER BY p.completed_at LIMIT 1`, [killedAt, busy.name]);
        return r?.completed_at as Date | undefined;
      });
      recoveries.push({
        fault: `kill -9 of worker ${busy.name} (${running.length} running)`,
        measures: {
          declared_lost_s: seconds(killedAt, lostAt.getTime()),
          running_interrupted_s: seconds(killedAt, Math.max(...interrupted.map((r) => r.completed_at.getTime()))),
          first_new_success_elsewhere_s: seconds(killedAt, replaced.getTime()),
        },
      });
      await startWorker(busy.name); // the supervisor restarts it
      await sleep(3000);

      // 2. SIGSTOP the active controller past its lease, then SIGCONT.
      const leaderLabel = await waitUntil('the leader', async () => {
        for (const c of ['ctl1', 'ctl2']) if ((await procs.get(c)!.health()).leader) return c;
        return undefined;
      });
      const leader = procs.get(leaderLabel)!;
      const standby = procs.get(leaderLabel === 'ctl1' ? 'ctl2' : 'ctl1')!;
      const [before] = await q(`SELECT epoch::int AS epoch FROM leases WHERE name = 'controller'`);
      const stoppedAt = Date.now();
      leader.pause();
      const took = await waitUntil('the standby takes the lease', async () => {
        const [l] = await q(`SELECT epoch::int AS epoch, acquired_at FROM leases WHERE name = 'controller' AND epoch > $1`, [before.epoch]);
        return l;
      }, 60_000);
      await sleep(Math.max(0, stoppedAt + (LEASE_SECONDS + 4) * 1000 - Date.now())); // well past its lease
      leader.resume();
      const stale = await waitUntil('the old leader stands down', async () => {
        const h = await leader.health();
        return !h.leader && h.refused_writes > 0 ? h : undefined;
      }, 30_000);
      expect((await standby.health()).leader).toBe(true);
      // Nothing written under the old epoch after the takeover.
      expect(await q(`SELECT id FROM placements WHERE epoch < $1 AND created_at > $2`, [took.epoch, took.acquired_at])).toEqual([]);
      recoveries.push({
        fault: `SIGSTOP of the active controller for ${LEASE_SECONDS + 4} s (lease ${LEASE_SECONDS} s), then SIGCONT`,
        measures: { standby_took_lease_s: seconds(stoppedAt, took.acquired_at.getTime()), stale_writes_refused: stale.refused_writes },
        notes: `epoch ${before.epoch} → ${took.epoch}`,
      });

      // 3. Cut a worker off the network.
      const cutLabel = busy.name === 'w3' ? 'w2' : 'w3';
      const [cutRow] = await q(`SELECT id FROM workers WHERE name = $1 AND stopped_at IS NULL`, [cutLabel]);
      const cutAt = Date.now();
      net.cut(cutLabel);
      const cutLost = await waitUntil('the cut-off worker declared lost', async () => (await q(`SELECT lost_at FROM workers WHERE id = $1 AND lost_at IS NOT NULL`, [cutRow.id]))[0]?.lost_at as Date | undefined, 45_000);
      const orphaned = await waitUntil('its running predictions ended', async () => {
        const rows = await q(`SELECT count(*)::int AS n FROM predictions WHERE worker_id = $1 AND status IN ('starting', 'processing')`, [cutRow.id]);
        return rows[0].n === 0 ? Date.now() : undefined;
      });
      await sleep(2000);
      const healedAt = Date.now();
      net.heal(cutLabel);
      const rejoined = await waitUntil('the worker rejoins under a new id', async () => {
        const [r] = await q(`SELECT started_at FROM workers WHERE name = $1 AND stopped_at IS NULL AND id <> $2`, [cutLabel, cutRow.id]);
        return r?.started_at as Date | undefined;
      }, 60_000);
      recoveries.push({
        fault: `worker ${cutLabel} cut off from the network for ${seconds(cutAt, healedAt)} s`,
        measures: {
          declared_lost_s: seconds(cutAt, cutLost.getTime()),
          its_work_resolved_s: seconds(cutAt, orphaned),
          rejoined_after_heal_s: seconds(healedAt, rejoined.getTime()),
        },
      });

      // 4. Redis killed and restarted empty.
      const redisKilledAt = Date.now();
      redis!.kill('SIGKILL');
      await sleep(3000);
      await startRedis();
      const restartedAt = Date.now();
      const waiting = (await q(`SELECT id FROM predictions WHERE status = 'starting' AND created_at < now()`)).map((r) => r.id);
      const drainedAt = await waitUntil('predictions waiting at the restart run', async () => {
        const [r] = await q(`SELECT count(*)::int AS n FROM predictions WHERE id = ANY($1) AND status NOT IN ('succeeded','failed','canceled','aborted')`, [waiting]);
        return r.n === 0 ? Date.now() : undefined;
      }, 90_000);
      const acceptedDuring = sent.filter((s) => s.sentAt > redisKilledAt && s.sentAt < restartedAt && s.id).length;
      recoveries.push({
        fault: 'Redis killed (SIGKILL) and restarted empty after 3 s: every job lost',
        measures: { waiting_at_restart: waiting.length, all_of_them_finished_after_restart_s: seconds(restartedAt, drainedAt), accepted_while_down: acceptedDuring },
      });

      // 5. An API replica killed with requests in flight (long sync waits sent to it just before).
      const burst = Array.from({ length: 4 }, () => submit('sync', version, 3, 'api2'));
      await sleep(1200);
      const apiKilledAt = Date.now();
      await procs.get('api2')!.kill();
      const burstSent = await Promise.all(burst);
      expect(burstSent.every((s) => s.error)).toBe(true); // they were in flight: the connection died
      const burstDone = await waitUntil('the in-flight predictions finish anyway', async () => {
        const rows = await q(`SELECT status, completed_at FROM predictions WHERE tags->>'seq' = ANY($1)`, [burstSent.map((s) => s.seq)]);
        return rows.length > 0 && rows.every((r) => TERMINAL.includes(r.status)) ? rows : undefined;
      });
      const afterKill = await submit('sync', version, 0.1);
      expect(afterKill.status).toBe(201);
      recoveries.push({
        fault: `API replica killed (SIGKILL) with ${burst.length} sync waits in flight`,
        measures: {
          in_flight_stored: burstDone.length,
          in_flight_finished_s: seconds(apiKilledAt, Math.max(...burstDone.map((r) => r.completed_at.getTime()))),
          next_request_served_by_the_other_s: seconds(apiKilledAt, Date.now()),
        },
      });

      loading = false;
      await load;
      await Promise.all([...inflight]);
      clearInterval(sampler);
      clearInterval(lagTimer);

      // Drain: everything terminal, every final webhook delivered.
      const rows = await waitUntil('every prediction terminal', async () => {
        const r = await q(`SELECT id, status, error, attempts, webhook, tags->>'seq' AS seq FROM predictions WHERE tags->>'run' = $1`, [RUN]);
        return r.every((x) => TERMINAL.includes(x.status)) ? r : undefined;
      }, 120_000);
      const withHook = rows.filter((r) => r.webhook);
      await waitUntil('every final webhook', async () => withHook.every((r) => receiver.deliveries.some((d) => d.path === `/hook/${r.seq}`)), 120_000).catch(() => undefined);

      // Each accepted prediction is in the database, in exactly one terminal state.
      const bySeq = new Map(rows.map((r) => [r.seq, r]));
      const accepted = sent.filter((s) => s.id);
      for (const s of accepted) expect(bySeq.get(s.seq)?.id).toBe(s.id);
      const usage = await q(`SELECT prediction_id, count(*)::int AS n FROM usage_records WHERE prediction_id = ANY($1) GROUP BY 1`, [rows.map((r) => r.id)]);
      expect(usage.filter((u) => u.n !== 1)).toEqual([]);
      expect(usage.length).toBe(rows.length);

      // None ran twice unless recorded as a retry.
      const runs = readFileSync(runLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const runsOf = new Map<string, number>();
      for (const r of runs.filter((x) => x.event === 'run')) runsOf.set(r.seq, (runsOf.get(r.seq) ?? 0) + 1);
      const twice = rows.filter((r) => (runsOf.get(r.seq) ?? 0) > Math.max(1, r.attempts)).map((r) => `${r.seq}: ${runsOf.get(r.seq)} runs, ${r.attempts} attempts`);
      expect(twice).toEqual([]);
      expect(rows.filter((r) => r.status === 'succeeded' && !runsOf.get(r.seq))).toEqual([]);

      // No device ever held by two instances.
      expect(samples).toBeGreaterThan(100);
      expect(overcommits).toEqual([]);

      // Every final webhook arrived at least once, with one webhook-id, agreeing with the row.
      const missing: string[] = [];
      for (const r of withHook) {
        const got = receiver.deliveries.filter((d) => d.path === `/hook/${r.seq}`);
        if (got.length === 0) {
          missing.push(r.seq);
          continue;
        }
        expect(new Set(got.map((d) => d.headers['webhook-id'])).size).toBe(1);
        expect(new Set(got.map((d) => d.json?.status))).toEqual(new Set([r.status]));
      }
      expect(missing).toEqual([]);

      const statuses = rows.reduce<Record<string, number>>((acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc), {});
      const report = {
        run: RUN,
        predictions: rows.length,
        accepted_by_clients: accepted.length,
        client_errors: sent.filter((s) => !s.id).length,
        statuses,
        retried: rows.filter((r) => r.attempts > 1).length,
        runs: runs.filter((x) => x.event === 'run').length,
        device_samples: samples,
        slowest_device_sample_ms: slowestSample,
        harness_max_event_loop_lag_ms: maxLag,
        webhooks_delivered: receiver.deliveries.length,
        recoveries,
      };
      const file = join(tmpdir(), 'gantry-fault-report.json');
      writeFileSync(file, JSON.stringify(report, null, 2));
      console.log(`fault suite report (${file}):\n${JSON.stringify(report, null, 2)}`);
      expect(existsSync(file)).toBe(true);
    });
  });
}
