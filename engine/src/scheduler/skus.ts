/**
 * The hardware SKU catalogue: what a version may ask for by name, and what it costs.
 *
 * Prices are Replicate's public per-second prices (USD); multi-GPU SKUs scale linearly.
 * A base GPU SKU (`gpu-h100`) is also the type of one physical device; `-2x/-4x/-8x`
 * variants are offers of several such devices on one worker. T4 and CPU have no variants.
 */

/** The GPU types a device can be. */
export type GpuBaseSku = 'gpu-t4' | 'gpu-l40s' | 'gpu-a100-large' | 'gpu-h100';

export interface SkuSpec {
  /** Replicate-style id, e.g. `gpu-h100-2x`. */
  id: string;
  /** Display name, e.g. `2x Nvidia H100`. */
  name: string;
  /** GPU type of each device, or null for `cpu`. */
  gpu: GpuBaseSku | null;
  /** Devices the SKU occupies (0 for `cpu`). */
  gpuCount: number;
  /** Memory of each device in GB (0 for `cpu`). */
  memoryPerGpuGb: number;
  /** Price of the whole SKU per second, USD. */
  pricePerSecondUsd: number;
}

interface GpuBase {
  name: string;
  memoryGb: number;
  /** Price per second by GPU count. */
  prices: Partial<Record<1 | 2 | 4 | 8, number>>;
}

/** Base GPU types: display name, nominal memory, prices per count. */
export const GPU_BASES: Readonly<Record<GpuBaseSku, GpuBase>> = {
  'gpu-t4': { name: 'Nvidia T4', memoryGb: 16, prices: { 1: 0.000225 } },
  'gpu-l40s': { name: 'Nvidia L40S', memoryGb: 48, prices: { 1: 0.000975, 2: 0.00195, 4: 0.0039, 8: 0.0078 } },
  'gpu-a100-large': {
    name: 'Nvidia A100 (80GB)',
    memoryGb: 80,
    prices: { 1: 0.0014, 2: 0.0028, 4: 0.0056, 8: 0.0112 },
  },
  'gpu-h100': { name: 'Nvidia H100', memoryGb: 80, prices: { 1: 0.001525, 2: 0.00305, 4: 0.0061, 8: 0.0122 } },
};

function buildCatalogue(): Map<string, SkuSpec> {
  const skus = new Map<string, SkuSpec>();
  skus.set('cpu', { id: 'cpu', name: 'CPU', gpu: null, gpuCount: 0, memoryPerGpuGb: 0, pricePerSecondUsd: 0.0001 });
  for (const [base, spec] of Object.entries(GPU_BASES) as [GpuBaseSku, GpuBase][]) {
    for (const [countText, price] of Object.entries(spec.prices)) {
      const count = Number(countText);
      const id = count === 1 ? base : `${base}-${count}x`;
      const name = count === 1 ? spec.name : `${count}x ${spec.name}`;
      skus.set(id, { id, name, gpu: base, gpuCount: count, memoryPerGpuGb: spec.memoryGb, pricePerSecondUsd: price });
    }
  }
  return skus;
}

const CATALOGUE: ReadonlyMap<string, SkuSpec> = buildCatalogue();

/** The SKU with this id, or undefined when there is none. */
export function getSku(id: string): SkuSpec | undefined {
  return CATALOGUE.get(id);
}

/** Every SKU, CPU first, then by GPU type and count. */
export function listSkus(): SkuSpec[] {
  return [...CATALOGUE.values()];
}

/** True when `id` names a base GPU type (a device type, not a multi-GPU offer). */
export function isGpuBaseSku(id: string): id is GpuBaseSku {
  return Object.prototype.hasOwnProperty.call(GPU_BASES, id);
}
