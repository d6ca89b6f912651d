/**
 * The worker's device check (readiness and the GPU memory it reports) over nvidia-smi's output.
 * No GPU runs here, so the query is given nvidia-smi's documented CSV (index, uuid, memory.used in
 * MiB) instead of running the tool; declared GPUs are never queried.
 */
import { DeviceMonitor, parseGpuUse } from '../../../engine/src/observe/devices';
import type { GpuDevice } from '../../../engine/src/scheduler';

const gpu = (index: number, uuid: string | null): GpuDevice => ({ index, name: 'NVIDIA H100 80GB HBM3', memoryGb: 79.6, uuid, sku: 'gpu-h100' });

test('parses nvidia-smi memory.used lines and skips what it cannot read', () => {
  const out = '0, GPU-aaaa, 1234\n1, GPU-bbbb, 0\n\ngarbage line\n';
  expect(parseGpuUse(out)).toEqual([
    { index: 0, uuid: 'GPU-aaaa', memoryUsedMiB: 1234 },
    { index: 1, uuid: 'GPU-bbbb', memoryUsedMiB: 0 },
  ]);
});

test('detected GPUs must all still be visible; memory in use is reported per device', async () => {
  let output = '0, GPU-aaaa, 2048\n1, GPU-bbbb, 512\n';
  let calls = 0;
  const query = async () => (calls++, output);
  const ok = await new DeviceMonitor([gpu(0, 'GPU-aaaa'), gpu(1, 'GPU-bbbb')], 2, query).state();
  expect(ok).toEqual({ ok: true, detail: '2 GPU(s), 2 CPU slot(s), all visible to nvidia-smi', use: expect.arrayContaining([expect.objectContaining({ index: 0, memoryUsedMiB: 2048 })]) });

  output = '0, GPU-aaaa, 2048\n';
  const lost = await new DeviceMonitor([gpu(0, 'GPU-aaaa'), gpu(1, 'GPU-bbbb')], 2, query).state();
  expect(lost.ok).toBe(false);
  expect(lost.detail).toContain('1 (GPU-bbbb)');

  const failing = await new DeviceMonitor([gpu(0, 'GPU-aaaa')], 1, async () => Promise.reject(new Error('NVML: Driver/library version mismatch'))).state();
  expect(failing).toEqual({ ok: false, detail: 'nvidia-smi failed: NVML: Driver/library version mismatch', use: [] });
  expect(calls).toBe(2);
});

test('declared GPUs (GANTRY_GPUS) and CPU-only workers are not queried', async () => {
  const query = jest.fn(async () => '');
  expect(await new DeviceMonitor([gpu(0, null), gpu(1, null)], 4, query).state()).toEqual({ ok: true, detail: '2 GPU(s), 4 CPU slot(s) (declared)', use: [] });
  expect(await new DeviceMonitor([], 2, query).state()).toEqual({ ok: true, detail: '0 GPU(s), 2 CPU slot(s)', use: [] });
  expect(query).not.toHaveBeenCalled();
});

test('a monitor asks nvidia-smi at most once every few seconds', async () => {
  const query = jest.fn(async () => '0, GPU-aaaa, 1\n');
  const monitor = new DeviceMonitor([gpu(0, 'GPU-aaaa')], 1, query);
  await Promise.all([monitor.state(), monitor.state(), monitor.state()]);
  monitor.latest();
  expect(query).toHaveBeenCalledTimes(1);
});
