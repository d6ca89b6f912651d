/**
 * What hardware a worker owns: GPUs read from `nvidia-smi` or declared in `GANTRY_GPUS`,
 * plus a count of CPU slots. Parsing is pure; only `detectGpus` runs a process.
 */
import { execFile } from 'node:child_process';
import { GPU_BASES, getSku, isGpuBaseSku, type GpuBaseSku } from './skus';

/** One GPU on a worker. */
export interface GpuDevice {
  /** The device index as nvidia-smi (and CUDA_VISIBLE_DEVICES) know it. */
  index: number;
  /** Name as reported, e.g. `NVIDIA H100 80GB HBM3`. */
  name: string;
  /** Total memory in GB (nvidia-smi's MiB / 1024, one decimal). */
  memoryGb: number;
  uuid: string | null;
  /** The GPU type, or null for a GPU that no SKU describes (still usable by memory requests). */
  sku: GpuBaseSku | null;
  /** Why `sku` is null. */
  reason?: string;
}

/** A worker's devices. */
export interface Inventory {
  gpus: GpuDevice[];
  /** How many `cpu` instances the worker may run at once. */
  cpuSlots: number;
}

/** A declared inventory string could not be read; `entry` is the offending piece. */
export class InventoryConfigError extends Error {
  constructor(
    readonly entry: string,
    detail: string,
  ) {
    super(`GANTRY_GPUS: bad entry "${entry}": ${detail}`);
    this.name = 'InventoryConfigError';
  }
}

/** The command line whose output `parseNvidiaSmi` reads. */
export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total,uuid', '--format=csv,noheader,nounits'];

const MAX_DECLARED_PER_TYPE = 64;

/** Maps an nvidia-smi GPU name (and its memory) to a base SKU, or explains why none fits. */
export function skuForGpuName(name: string, memoryGb: number): { sku: GpuBaseSku | null; reason?: string } {
  const n = name.toUpperCase();
  if (/\bH100\b/.test(n)) return { sku: 'gpu-h100' };
  if (/\bL40S\b/.test(n)) return { sku: 'gpu-l40s' };
  if (/\bT4\b/.test(n)) return { sku: 'gpu-t4' };
  if (/\bA100\b/.test(n)) {
    if (/80\s*GB/.test(n) || memoryGb >= 70) return { sku: 'gpu-a100-large' };
    return { sku: null, reason: `"${name}" has ${memoryGb} GB; gpu-a100-large is the 80GB A100` };
  }
  return { sku: null, reason: `no SKU for GPU "${name}"` };
}

/**
 * Parses `nvidia-smi --query-gpu=index,name,memory.total,uuid --format=csv,noheader,nounits`.
 * Blank lines are skipped; a malformed line becomes an error naming it.
 */
export function parseNvidiaSmi(output: string): GpuDevice[] {
  const devices: GpuDevice[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 3) throw new Error(`nvidia-smi: cannot read line "${line}"`);
    const [indexText, name, memoryText, uuid] = fields;
    const index = Number(indexText);
    const memoryMiB = Number(memoryText);
    if (!Number.isInteger(index) || index < 0 || !Number.isFinite(memoryMiB) || memoryMiB <= 0 || !name) {
      throw new Error(`nvidia-smi: cannot read line "${line}"`);
    }
    const memoryGb = Math.round((memoryMiB / 1024) * 10) / 10;
    const { sku, reason } = skuForGpuName(name, memoryGb);
    devices.push({ index, name, memoryGb, uuid: uuid || null, sku, ...(reason ? { reason } : {}) });
  }
  return devices;
}

/**
 * Parses a declared inventory such as `gpu-h100:8,gpu-t4:2` into devices numbered in order.
 * Each entry is a base GPU SKU with an optional count (default 1). An empty string declares no
 * GPUs. Throws InventoryConfigError naming the first bad entry.
 */
export function parseDeclaredGpus(declared: string): GpuDevice[] {
  const devices: GpuDevice[] = [];
  const seen = new Set<string>();
  if (declared.trim() === '') return devices;
  for (const rawEntry of declared.split(',')) {
    const entry = rawEntry.trim();
    if (entry === '') throw new InventoryConfigError(rawEntry, 'empty entry (stray comma?)');
    const match = /^([a-z0-9-]+)(?::(.*))?$/.exec(entry);
    if (!match) throw new InventoryConfigError(entry, 'expected "<sku>:<count>", e.g. "gpu-h100:8"');
    const [, skuId, countText] = match;
    if (!isGpuBaseSku(skuId)) {
      const offer = getSku(skuId);
      const detail = offer?.gpu
        ? `"${skuId}" is a multi-GPU offer; declare devices as "${offer.gpu}:${offer.gpuCount}"`
        : `unknown GPU SKU "${skuId}"; known: ${Object.keys(GPU_BASES).join(', ')}`;
      throw new InventoryConfigError(entry, detail);
    }
    if (seen.has(skuId)) throw new InventoryConfigError(entry, `"${skuId}" is declared twice`);
    seen.add(skuId);
    const count = countText === undefined ? 1 : Number(countText);
    if (!/^\d+$/.test(countText ?? '1') || count < 1 || count > MAX_DECLARED_PER_TYPE) {
      throw new InventoryConfigError(entry, `count must be a whole number from 1 to ${MAX_DECLARED_PER_TYPE}`);
    }
    for (let i = 0; i < count; i++) {
      devices.push({ index: devices.length, name: GPU_BASES[skuId].name, memoryGb: GPU_BASES[skuId].memoryGb, uuid: null, sku: skuId });
    }
  }
  return devices;
}

/** Parses a CPU slot count (a whole number ≥ 0); throws naming the bad value. */
export function parseCpuSlots(value: string): number {
  const text = value.trim();
  if (!/^\d+$/.test(text)) throw new Error(`CPU slots: "${value}" is not a whole number`);
  return Number(text);
}

/** Result of asking the machine for its GPUs; `note` says why the list is empty when it is. */
export interface DetectedGpus {
  gpus: GpuDevice[];
  note?: string;
}

/**
 * Runs nvidia-smi (with a timeout) and parses its output. Never rejects: a machine without
 * nvidia-smi, or one where it fails, has no GPUs and a note saying why.
 */
export function detectGpus(timeoutMs = 5000): Promise<DetectedGpus> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', NVIDIA_SMI_ARGS, { timeout: timeoutMs }, (error, stdout) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        resolve({ gpus: [], note: code === 'ENOENT' ? 'nvidia-smi not found' : `nvidia-smi failed: ${error.message}` });
        return;
      }
      try {
        resolve({ gpus: parseNvidiaSmi(stdout) });
      } catch (e) {
        resolve({ gpus: [], note: (e as Error).message });
      }
    });
  });
}

/**
 * The local worker's inventory: `GANTRY_GPUS` when set (declared wins), else nvidia-smi.
 * CPU slots are always present (`cpuSlots`, at least 1).
 */
export async function loadInventory(options: {
  declaredGpus?: string;
  cpuSlots: number;
  detect?: () => Promise<DetectedGpus>;
}): Promise<Inventory & { note?: string }> {
  const cpuSlots = Math.max(1, Math.floor(options.cpuSlots));
  if (options.declaredGpus !== undefined) return { gpus: parseDeclaredGpus(options.declaredGpus), cpuSlots };
  const detected = await (options.detect ?? detectGpus)();
  return { gpus: detected.gpus, cpuSlots, ...(detected.note ? { note: detected.note } : {}) };
}
