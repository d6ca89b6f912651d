/** Resolves a hardware request against the SKU catalogue into device terms. */
import { getSku } from '../skus';
import type { HardwareRequest, Need } from './types';

export type NeedResult = { ok: true; need: Need } | { ok: false; reason: string };

/** A SKU id claims whole devices of its GPU type; `{gpu_count, gpu_memory_gb}` claims GB on any GPUs. */
export function resolveNeed(hardware: HardwareRequest): NeedResult {
  if (typeof hardware === 'string') {
    const sku = getSku(hardware);
    if (!sku) return { ok: false, reason: `unknown hardware SKU "${hardware}"` };
    if (sku.gpu === null) return { ok: true, need: { kind: 'cpu' } };
    return { ok: true, need: { kind: 'gpu', gpu: sku.gpu, count: sku.gpuCount, memoryGbPerDevice: 'whole' } };
  }
  const { gpu_count: count, gpu_memory_gb: memory } = hardware;
  if (!Number.isInteger(count) || count < 1) return { ok: false, reason: `gpu_count must be a whole number ≥ 1, got ${count}` };
  if (!Number.isFinite(memory) || memory <= 0) return { ok: false, reason: `gpu_memory_gb must be > 0, got ${memory}` };
  return { ok: true, need: { kind: 'gpu', gpu: null, count, memoryGbPerDevice: memory } };
}

/** GB a need claims on a given device. */
export function claimOn(need: Need, deviceMemoryGb: number): number {
  if (need.kind === 'cpu') return 0;
  return need.memoryGbPerDevice === 'whole' ? deviceMemoryGb : need.memoryGbPerDevice;
}

/** "2x gpu-h100", "1x GPU with 24 GB", "a CPU slot" — for reasons. */
export function describeNeed(need: Need): string {
  if (need.kind === 'cpu') return 'a CPU slot';
  const what = need.gpu ?? 'GPU';
  const memory = need.memoryGbPerDevice === 'whole' ? '' : ` with ${need.memoryGbPerDevice} GB`;
  return `${need.count}x ${what}${memory}`;
}
