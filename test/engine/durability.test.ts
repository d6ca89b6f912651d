/**
 * No accepted prediction is lost: SIGKILL the engine with predictions queued and running, start it
 * again, and every one reaches a terminal state (running → failed "interrupted", queued → run).
 */
import { api, startEngine, type EngineHandle } from '../helpers/engine';

let engine: EngineHandle;
afterAll(async () => engine?.stop());

const TERMINAL = ['succeeded', 'failed', 'canceled', 'aborted'];

test('SIGKILL with queued and running predictions, then restart', async () => {
  // One CPU slot and a version with concurrency 1: one prediction runs, the rest queue.
  engine = await startEngine({ env: { GANTRY_CPU_SLOTS: '1' } });
  const call = api(engine);
  await call('POST', '/v1/models', { owner: 'dur', name: 'serial', visibility: 'private', hardware: 'cpu' });
  const version = await call('POST', '/v1/models/dur/serial/versions', { runner: { type: 'node', module: 'builtin:echo' }, max_concurrency: 1 });
  expect(version.status).toBe(201);
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) {
    const res = await call('POST', '/v1/predictions', { version: version.json.id, input: { text: `d${i}`, sleep: 1.5 } });
    expect(res.status).toBe(201);
    ids.push(res.json.id);
  }
  // Wait until the first one is running.
  for (let i = 0; i < 100; i++) {
    const p = (await call('GET', `/v1/predictions/${ids[0]}`)).json;
    if (p.status === 'processing') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = await Promise.all(ids.map(async (id) => (await call('GET', `/v1/predictions/${id}`)).json.status));
  expect(before[0]).toBe('processing');
  expect(before.filter((s) => s === 'starting').length).toBeGreaterThanOrEqual(5);

  await engine.kill();
  await engine.restart();

  const deadline = Date.now() + 60_000;
  let final: any[] = [];
  while (Date.now() < deadline) {
    final = await Promise.all(ids.map(async (id) => (await call('GET', `/v1/predictions/${id}`)).json));
    if (final.every((p) => TERMINAL.includes(p.status))) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(final.map((p) => p.status).every((s) => TERMINAL.includes(s))).toBe(true);
  // The one that was running when killed is reported as interrupted, never silently lost.
  expect(final[0].status).toBe('failed');
  expect(final[0].error).toMatch(/interrupted/);
  // The ones that had not started ran after the restart.
  for (const p of final.slice(1)) {
    if (before[final.indexOf(p)] === 'starting') {
      expect(p.status).toBe('succeeded');
      expect(p.output).toBe(p.input.text);
    }
  }
}, 120_000);
