/**
 * Live state of a worker's GPUs from nvidia-smi: which detected devices are still visible and how
 * much memory each uses. Declared GPUs (GANTRY_GPUS, no uuid) cannot be asked and are taken as
 * they are. Queries are cached briefly so readiness probes and heartbeats cost one run of
 * nvidia-smi every few seconds at most.
 */
import { execFile } from 'node:child_process';
import type { GpuDevice } from '../scheduler';

export interface GpuUse {
  uuid: string;
  index: number;
  memoryUsedMiB: number;
}

export interface DeviceState {
  ok: boolean;
  detail: string;
  /** Memory in use per detected device (empty for declared GPUs). */
  use: GpuUse[];
}

const QUERY = ['--query-gpu=index,uuid,memory.used', '--format=csv,noheader,nounits'];
const CACHE_MS = 5000;

/** Parses `nvidia-smi --query-gpu=index,uuid,memory.used --format=csv,noheader,nounits`. */
export function parseGpuUse(output: string): GpuUse[] {
  const use: GpuUse[] = [];
  for (const line of output.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
    const [index, uuid, used] = line.split(',').map((f) => f.trim());
    if (!uuid || !Number.isFinite(Number(index)) || !Number.isFinite(Number(used))) continue;
    use.push({ index: Number(index), uuid, memoryUsedMiB: Number(used) });
  }
  return use;
}

function runNvidiaSmi(timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('nvidia-smi', QUERY, { timeout: timeoutMs }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

export class DeviceMonitor {
  private cached?: { at: number; state: Promise<DeviceState> };

  constructor(
    private readonly gpus: GpuDevice[],
    private readonly cpuSlots: number,
    private readonly query: (timeoutMs: number) => Promise<string> = runNvidiaSmi,
  ) {}

  /** Whether every detected GPU is still there (cached for a few seconds). */
  state(): Promise<DeviceState> {
    if (!this.cached || Date.now() - this.cached.at > CACHE_MS) this.cached = { at: Date.now(), state: this.read() };
    return this.cached.state;
  }

  /** The last state read, without waiting (undefined before the first read finished). */
  private last?: DeviceState;
  latest(): DeviceState | undefined {
    void this.state().then((s) => (this.last = s));
    return this.last;
  }

  private async read(): Promise<DeviceState> {
    const detected = this.gpus.filter((g) => g.uuid);
    const summary = `${this.gpus.length} GPU(s), ${this.cpuSlots} CPU slot(s)`;
    if (detected.length === 0) return { ok: true, detail: `${summary}${this.gpus.length ? ' (declared)' : ''}`, use: [] };
    try {
      const use = parseGpuUse(await this.query(3000));
      const missing = detected.filter((g) => !use.some((u) => u.uuid === g.uuid));
      if (missing.length) return { ok: false, detail: `GPU(s) no longer visible to nvidia-smi: ${missing.map((g) => `${g.index} (${g.uuid})`).join(', ')}`, use };
      return { ok: true, detail: `${summary}, all visible to nvidia-smi`, use };
    } catch (err) {
      return { ok: false, detail: `nvidia-smi failed: ${(err as Error).message}`, use: [] };
    }
  }
}
