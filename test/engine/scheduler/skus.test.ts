import { getSku, listSkus } from '../../../engine/src/scheduler/skus';

describe('SKU catalogue', () => {
  it.each([
    ['cpu', 'CPU', null, 0, 0, 0.0001],
    ['gpu-t4', 'Nvidia T4', 'gpu-t4', 1, 16, 0.000225],
    ['gpu-l40s-4x', '4x Nvidia L40S', 'gpu-l40s', 4, 48, 0.0039],
    ['gpu-a100-large-8x', '8x Nvidia A100 (80GB)', 'gpu-a100-large', 8, 80, 0.0112],
    ['gpu-h100-2x', '2x Nvidia H100', 'gpu-h100', 2, 80, 0.00305],
    ['gpu-h100-8x', '8x Nvidia H100', 'gpu-h100', 8, 80, 0.0122],
  ])('%s', (id, name, gpu, gpuCount, memoryPerGpuGb, pricePerSecondUsd) => {
    expect(getSku(id)).toEqual({ id, name, gpu, gpuCount, memoryPerGpuGb, pricePerSecondUsd });
  });

  it('has cpu, t4 and 1/2/4/8x of l40s, a100-large and h100, nothing else', () => {
    expect(listSkus()).toHaveLength(2 + 3 * 4);
    expect(getSku('gpu-t4-2x')).toBeUndefined();
  });
});
