/**
 * The scheduler simulation replays a trace from files: the committed example pair runs through
 * the real plan()/place() under two policies, and bad files are refused with line and field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeclaredGpus } from '../../../engine/src/scheduler';
import { simulate, type SimConfig } from '../../../bench/scheduler-sim/sim';
import { loadArrivals, loadModels } from '../../../bench/scheduler-sim/trace-file';

const dir = join(__dirname, '../../../bench/scheduler-sim/traces');
const fleet = () => ({ workers: ['gpu-t4:2', 'gpu-l40s:2', 'gpu-h100:2'].map((d, i) => ({ id: `w${i}`, alive: true, gpus: parseDeclaredGpus(d), cpuSlots: 0 })) });

describe('scheduler-sim trace replay', () => {
  const models = loadModels(join(dir, 'example-models.jsonl'));
  const arrivals = loadArrivals(join(dir, 'example-arrivals.jsonl'), models);
  const horizonS = arrivals[arrivals.length - 1].t;
  const cfg: SimConfig = { seed: 1, horizonS, bootFailureRate: 0, tickMs: 1000, cache: { diskBytes: 500e9, memoryBytes: 128e9 } };

  it('replays the example pair: every arrival before the horizon is served, under each policy', () => {
    expect(models.map((m) => m.versionId)).toEqual(['cron-report', 'chat-small', 'image-xl']);
    const before = arrivals.filter((a) => a.t < horizonS).length;
    for (const policy of [{ kind: 'autoscaled' as const, knobs: {} }, { kind: 'autoscaled' as const, knobs: { keepAlive: 'fixed' as const, idleWindowMs: 300_000, prewarm: false } }, { kind: 'hybrid' as const }]) {
      const r = simulate(models, arrivals, fleet(), policy, cfg);
      expect(r.served + r.unserved).toBe(before);
      expect(r.unserved).toBe(0);
      expect(r.coldStarts).toBeGreaterThan(0);
      expect(r.coldWaitsMs.length).toBe(r.coldStarts);
    }
  });

  it('the cache shortens boots: all-remote fetches wait longer on cold starts', () => {
    const cached = simulate(models, arrivals, fleet(), { kind: 'autoscaled', knobs: { prewarm: false } }, cfg);
    const remote = simulate(models, arrivals, fleet(), { kind: 'autoscaled', knobs: { prewarm: false }, cache: false }, cfg);
    const total = (w: number[]) => w.reduce((a, b) => a + b, 0);
    expect(total(cached.coldWaitsMs)).toBeLessThan(total(remote.coldWaitsMs));
  });

  it.each([
    ['models', '{"id":"a","sku":"gpu-t4","setup_s":1,"predict_s":1,"artifact_gb":1}', /models\.jsonl:1: field "max_concurrency" must be an integer ≥ 1/],
    ['models', '{"id":"a","sku":"gpu-x","setup_s":1,"predict_s":1,"artifact_gb":1,"max_concurrency":1}', /models\.jsonl:1: field "sku" must be a known hardware SKU/],
    ['models', '\n{"id":', /models\.jsonl:2: not JSON/],
    ['arrivals', '{"t":5,"model":"cron-report"}\n{"t":4,"model":"cron-report"}', /arrivals\.jsonl:2: field "t": arrivals must be sorted by t/],
    ['arrivals', '{"t":"5","model":"cron-report"}', /arrivals\.jsonl:1: field "t" must be a number/],
    ['arrivals', '{"t":5,"model":"nope"}', /arrivals\.jsonl:1: field "model" must be the id of a model/],
  ])('refuses a bad %s file with line and field: %s', (which, text, message) => {
    const tmp = mkdtempSync(join(tmpdir(), 'sim-trace-'));
    const path = join(tmp, `${which}.jsonl`);
    writeFileSync(path, text);
    expect(() => (which === 'models' ? loadModels(path) : loadArrivals(path, models))).toThrow(message);
  });
});
