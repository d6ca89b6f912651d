/**
 * The hardware SKU catalogue: what a version may ask for by name, and what it costs.
 *
 * Prices are Replicate's public per-second prices (USD); multi-GPU SKUs scale linearly.
 * A base GPU SKU (`gpu-h100`) is also the type of one physical device; `-2x/-4x/-8x`
 * variants are offers of several such devices on one worker. T4 and CPU have no variants.
 */

import { GPU_BASES, SKUS, type GpuBaseSku } from '../core/hardware';

export { GPU_BASES, type GpuBaseSku };

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

/** The scheduler's view of the catalogue in core/hardware (the one list of SKUs and prices). */
const CATALOGUE: ReadonlyMap<string, SkuSpec> = new Map(
  SKUS.map((s) => [s.sku, { id: s.sku, name: s.name, gpu: s.gpu, gpuCount: s.gpuCount, memoryPerGpuGb: s.gpuMemoryGb, pricePerSecondUsd: s.pricePerSecond }]),
);

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
