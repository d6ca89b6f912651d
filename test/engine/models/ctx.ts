/** A plain predictor context, as the engine's child process hands one to a predictor. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PredictContext, TrainContext, BillingMetric } from '../../../engine/src/runners/predictor';

export interface Recorded {
  logs: string[];
  emitted: unknown[];
  metrics: Partial<Record<BillingMetric, number>>;
}

export function makeCtx(opts: { weights?: string; signal?: AbortSignal } = {}): PredictContext & Recorded {
  const logs: string[] = [];
  const emitted: unknown[] = [];
  const metrics: Partial<Record<BillingMetric, number>> = {};
  return {
    weights: opts.weights,
    gpus: '',
    log: (line) => void logs.push(line),
    emit: (piece) => void emitted.push(piece),
    metric: (name, value) => void (metrics[name] = (metrics[name] ?? 0) + value),
    signal: opts.signal ?? new AbortController().signal,
    tmpdir: mkdtempSync(join(tmpdir(), 'gantry-models-test-')),
    logs,
    emitted,
    metrics,
  };
}

export function makeTrainCtx(opts: { weights?: string; signal?: AbortSignal } = {}): TrainContext & Recorded {
  const ctx = makeCtx(opts);
  return { ...ctx, outputDir: mkdtempSync(join(tmpdir(), 'gantry-train-out-')) };
}
