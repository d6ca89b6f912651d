/**
 * Placement contracts: filter → score → select → reserve.
 *
 * Terminology
 * - Worker: a process owning GPUs and CPU slots (its Inventory); may be dead (missed heartbeats).
 * - Claim: what one instance holds — GPUs on one worker with GB on each, or one CPU slot.
 * - Ledger: every claim in the cluster; free memory = device memory − claims on it.
 * - Need: a request resolved against the SKU catalogue (GPU type or any, count, GB per device).
 * - Candidate: a worker still in the running, with the devices it could give.
 */
import type { ArtifactTier } from '../artifacts';
import type { GpuDevice } from '../inventory';
import type { GpuBaseSku } from '../skus';

/** What a version asks for: a SKU id (`gpu-h100-2x`, `cpu`) or any GPUs by count and memory. */
export type HardwareRequest = string | { gpu_count: number; gpu_memory_gb: number };

export interface PlacementRequest {
  versionId: string;
  hardware: HardwareRequest;
  /** Bytes of the version's artifacts (weights, image), when known: prices a cold fetch. */
  artifactBytes?: number;
}

/** A worker as the scheduler sees it. */
export interface WorkerState {
  id: string;
  /** False when the worker missed its heartbeats; its devices are not offered. */
  alive: boolean;
  gpus: GpuDevice[];
  cpuSlots: number;
  /** Versions whose artifacts this worker holds, and in which tier (absent: remote). */
  artifacts?: Readonly<Record<string, Exclude<ArtifactTier, 'remote'>>>;
}

export interface Cluster {
  workers: readonly WorkerState[];
}

/**
 * A request in device terms. `memoryGbPerDevice: 'whole'` (SKU requests) claims each device
 * entirely, so nothing else may share it; a number (memory requests) lets instances share GPUs.
 */
export type Need =
  | { kind: 'cpu' }
  | { kind: 'gpu'; gpu: GpuBaseSku | null; count: number; memoryGbPerDevice: number | 'whole' };

/** A device with what is left of it under the current ledger. */
export interface DeviceView {
  device: GpuDevice;
  freeMemoryGb: number;
  /** No claim touches the device. */
  unclaimed: boolean;
}

/** A worker still in the running and the devices it still offers. */
export interface Candidate {
  worker: WorkerState;
  devices: DeviceView[];
  freeCpuSlots: number;
  /** Free GB of every GPU on the worker (index → GB), whatever the filters dropped. */
  freeMemoryByDevice: ReadonlyMap<number, number>;
}

/** Everything a filter or scorer may read. */
export interface PlacementContext {
  request: PlacementRequest;
  need: Need;
}

/** A filter keeps some candidates and says, per dropped worker or device, why. */
export interface FilterResult {
  kept: Candidate[];
  reasons: string[];
}

/**
 * A filter plugin. Called once per placement with the candidates left by the previous filter;
 * must be pure and must not add candidates. The chain stops when nothing is kept.
 */
export interface Filter {
  name: string;
  filter(ctx: PlacementContext, candidates: Candidate[]): FilterResult;
}

/** A candidate with its chosen devices, as scorers see it. */
export interface Option {
  candidate: Candidate;
  /** Device indexes chosen on the worker (empty for CPU). */
  devices: number[];
  /** GB claimed on each chosen device. */
  memoryClaimGb: number;
}

/**
 * A scorer plugin: returns a score in [0, 100] for an option (higher is better). Pure; called
 * once per option. Scores are clamped to the range and summed with the scorer's weight.
 */
export interface Scorer {
  name: string;
  score(ctx: PlacementContext, option: Option): number;
}

export interface PlacementOk {
  ok: true;
  worker: string;
  /** GPU indexes on the worker, ascending; empty for a CPU slot. */
  devices: number[];
  /** GB claimed on each device in `devices` (a whole device's memory for SKU requests). */
  memoryClaimGb: number;
  /** Value for CUDA_VISIBLE_DEVICES, e.g. "0,1"; "" for CPU. */
  cudaVisibleDevices: string;
  /** CPU slots claimed (1 for `cpu`, else 0). */
  cpuSlots: number;
  /** Weighted total score of the winner. */
  score: number;
}

/**
 * `busy`: some worker could hold it when idle (or when a dead worker returns) — queue and retry.
 * `impossible`: no worker in the cluster could ever hold it — fail fast.
 */
export type PlacementFailureCode = 'busy' | 'impossible';

export interface PlacementFailure {
  ok: false;
  code: PlacementFailureCode;
  /** Human-readable, one per dropped worker or device, e.g. `worker w1: device 0: 10 GB free, needs 40`. */
  reasons: string[];
}

export type PlacementResult = PlacementOk | PlacementFailure;
