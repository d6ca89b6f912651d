/** What a version asks of the placement: its SKU, or GPUs by count and memory. */
import type { HardwareRequest } from './placement';

/**
 * A version asks for a SKU, or for GPUs by count and memory (instances of such versions may share
 * a GPU); the hardware a deployment (or a request) names wins over the version's own.
 */
export function hardwareRequestOf(version: { gpu_count: number | null; gpu_memory_gb: number | null; hardware: string }, hardware: string): HardwareRequest {
  if (version.gpu_count && version.gpu_memory_gb && hardware === version.hardware) {
    return { gpu_count: version.gpu_count, gpu_memory_gb: version.gpu_memory_gb };
  }
  return hardware;
}
