/**
 * Hardware SKUs and their default prices per second (Replicate's public prices). Operators can
 * override prices with `GANTRY_PRICES` (JSON `{ "gpu-h100": 0.001 }`).
 */
export interface Sku {
  sku: string;
  name: string;
  /** Base GPU SKU for GPU hardware (`gpu-h100` for `gpu-h100-2x`), null for CPU. */
  gpu: string | null;
  gpuCount: number;
  gpuMemoryGb: number;
  pricePerSecond: number;
}

const GPU_BASES: Array<[string, string, number, number]> = [
  // sku, display name, memory per GPU (GB), $/s for one GPU
  ['gpu-t4', 'Nvidia T4', 16, 0.000225],
  ['gpu-l40s', 'Nvidia L40S', 48, 0.000975],
  ['gpu-a100-large', 'Nvidia A100 (80GB)', 80, 0.0014],
  ['gpu-h100', 'Nvidia H100', 80, 0.001525],
];

function buildCatalogue(): Sku[] {
  const skus: Sku[] = [{ sku: 'cpu', name: 'CPU', gpu: null, gpuCount: 0, gpuMemoryGb: 0, pricePerSecond: 0.0001 }];
  for (const [sku, name, mem, price] of GPU_BASES) {
    skus.push({ sku, name, gpu: sku, gpuCount: 1, gpuMemoryGb: mem, pricePerSecond: price });
    // T4s are not sold in multiples on Replicate.
    if (sku === 'gpu-t4') continue;
    for (const n of [2, 4, 8]) {
      skus.push({ sku: `${sku}-${n}x`, name: `${n}x ${name}`, gpu: sku, gpuCount: n, gpuMemoryGb: mem, pricePerSecond: price * n });
    }
  }
  return skus;
}

export const SKUS: readonly Sku[] = buildCatalogue();
const BY_SKU = new Map(SKUS.map((s) => [s.sku, s]));

export function findSku(sku: string): Sku | undefined {
  return BY_SKU.get(sku);
}

export type PriceTable = Record<string, number>;

export function defaultPrices(): PriceTable {
  return Object.fromEntries(SKUS.map((s) => [s.sku, s.pricePerSecond]));
}
