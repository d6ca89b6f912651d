/**
 * Child-process side of a `node` instance: loads one predictor module, runs setup once, then runs
 * predictions (several at once when the version allows) as the parent asks.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FromChild, ToChild } from './protocol';
import type { Predictor, PredictContext } from './predictor';

let predictor: Predictor | undefined;
let base: { weights?: string; gpus: string } = { gpus: '' };
const running = new Map<string, AbortController>();

const send = (msg: FromChild) => process.send?.(msg);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function load(modulePath: string): Predictor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(modulePath) as { default?: Predictor } & Predictor;
  const p = mod.default ?? mod;
  if (typeof p?.predict !== 'function') throw new Error(`${modulePath} does not export a predictor (no predict function)`);
  return p;
}

async function setup(msg: Extract<ToChild, { type: 'setup' }>): Promise<void> {
  try {
    predictor = load(msg.module);
    base = { weights: msg.weights, gpus: msg.gpus };
    const began = performance.now();
    await predictor.setup?.({ ...base, log: (line) => send({ type: 'log', line }) });
    send({ type: 'ready', setupSeconds: (performance.now() - began) / 1000 });
  } catch (err) {
    send({ type: 'setup_failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
}

async function run(msg: Extract<ToChild, { type: 'run' }>): Promise<void> {
  const abort = new AbortController();
  running.set(msg.id, abort);
  // The scratch directory is made on first use: most predictions never touch the disk.
  let scratch: string | undefined;
  const ctx: PredictContext = {
    ...base,
    log: (line) => send({ type: 'log', id: msg.id, line }),
    emit: (piece) => send({ type: 'emit', id: msg.id, piece }),
    metric: (name, value) => send({ type: 'metric', id: msg.id, name, value }),
    signal: abort.signal,
    get tmpdir() {
      return (scratch ??= mkdtempSync(join(tmpdir(), 'gantry-run-')));
    },
  };
  try {
    if (!predictor) throw new Error('instance is not set up');
    let output: unknown;
    if (msg.mode === 'train') {
      if (!predictor.training) throw new Error('this model is not trainable');
      output = await predictor.training.train(msg.input, Object.assign(Object.create(ctx) as PredictContext, { outputDir: msg.outputDir ?? ctx.tmpdir }));
    } else {
      output = await predictor.predict(msg.input as never, ctx);
    }
    if (abort.signal.aborted) throw new Error('canceled');
    send({ type: 'done', id: msg.id, output: output === undefined ? null : output });
  } catch (err) {
    send({ type: 'error', id: msg.id, error: message(err), canceled: abort.signal.aborted });
  } finally {
    running.delete(msg.id);
    // Output files are moved out by the parent before it answers, so scratch can go after a grace period.
    const dir = scratch;
    if (dir) setTimeout(() => void rm(dir, { recursive: true, force: true }), 60_000).unref();
  }
}

process.on('message', (msg: ToChild) => {
  if (msg.type === 'setup') void setup(msg);
  else if (msg.type === 'run') void run(msg);
  else if (msg.type === 'cancel') running.get(msg.id)?.abort();
});
process.on('disconnect', () => process.exit(0));
