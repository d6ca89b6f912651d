/**
 * Hardware SKUs and their default prices per second (Replicate's public prices; multi-GPU SKUs
 * scale linearly). The one catalogue: the scheduler reads its device view of it (scheduler/skus),
 * pricing reads prices. Operators override prices with `GANTRY_PRICES`.
 */

/** The GPU types a device can be. */
export type GpuBaseSku = 'gpu-t4' | 'gpu-l40s' | 'gpu-a100-large' | 'gpu-h100';

export interface GpuBase {
  name: string;
  /** Nominal memory of one device, GB. */
  memoryGb: number;
  /** Price per second by GPU count (T4s are not sold in multiples). */
  prices: Partial<Record<1 | 2 | 4 | 8, number>>;
}

export const GPU_BASES: Readonly<Record<GpuBaseSku, GpuBase>> = {
  'gpu-t4': { name: 'Nvidia T4', memoryGb: 16, prices: { 1: 0.000225 } },
  'gpu-l40s': { name: 'Nvidia L40S', memoryGb: 48, prices: { 1: 0.000975, 2: 0.00195, 4: 0.0039, 8: 0.0078 } },
  'gpu-a100-large': { name: 'Nvidia A100 (80GB)', memoryGb: 80, prices: { 1: 0.0014, 2: 0.0028, 4: 0.0056, 8: 0.0112 } },
  'gpu-h100': { name: 'Nvidia H100', memoryGb: 80, prices: { 1: 0.001525, 2: 0.00305, 4: 0.0061, 8: 0.0122 } },
};

export interface Sku {
  /** Replicate-style id, e.g. `gpu-h100-2x`. */
  sku: string;
  /** Display name, e.g. `2x Nvidia H100`. */
  name: string;
  /** GPU type of each device, or null for `cpu`. */
  gpu: GpuBaseSku | null;
  /** Devices the SKU occupies (0 for `cpu`). */
  gpuCount: number;
  /** Memory of each device in GB (0 for `cpu`). */
  gpuMemoryGb: number;
  /** Default price of the whole SKU per second, USD. */
  pricePerSecond: number;
}

function buildCatalogue(): Sku[] {
  const skus: Sku[] = [{ sku: 'cpu', name: 'CPU', gpu: null, gpuCount: 0, gpuMemoryGb: 0, pricePerSecond: 0.0001 }];
  for (const [base, spec] of Object.entries(GPU_BASES) as Array<[GpuBaseSku, GpuBase]>) {
    for (const [countText, price] of Object.entries(spec.prices)) {
      const count = Number(countText);
      skus.push({
        sku: count === 1 ? base : `${base}-${count}x`,
        name: count === 1 ? spec.name : `${count}x ${spec.name}`,
        gpu: base,
        gpuCount: count,
        gpuMemoryGb: spec.memoryGb,
        pricePerSecond: price as number,
      });
    }
  }
  return skus;
}

/** Every SKU, CPU first, then by GPU type and count. */
export const SKUS: readonly Sku[] = buildCatalogue();
const BY_SKU = new Map(SKUS.map((s) => [s.sku, s]));

export function findSku(sku: string): Sku | undefined {
  return BY_SKU.get(sku);
}

/**
 * Where the default prices come from (Replicate's public per-second hardware prices). They are also
 * the prices the cost decision (GET /v1/decide) uses for running on Replicate.
 */
export const REPLICATE_PRICES_SOURCE = { url: 'https://replicate.com/pricing', retrieved: '2026-12-01' } as const;

export type PriceTable = Record<string, number>;

export function defaultPrices(): PriceTable {
  return Object.fromEntries(SKUS.map((s) => [s.sku, s.pricePerSecond]));
}
