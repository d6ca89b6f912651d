import { InventoryConfigError, loadInventory, parseCpuSlots, parseDeclaredGpus, parseNvidiaSmi, skuForGpuName } from '../../../engine/src/scheduler/inventory';
import { NVIDIA_SMI_MIXED } from '../../fixtures/gpus';

describe('parseNvidiaSmi', () => {
  it('reads index, name, memory and uuid, and maps names to SKUs', () => {
    expect(parseNvidiaSmi(NVIDIA_SMI_MIXED)).toEqual([
      { index: 0, name: 'NVIDIA A100-SXM4-80GB', memoryGb: 80, uuid: 'GPU-aaaaaaaa-0000-0000-0000-000000000000', sku: 'gpu-a100-large' },
      {
        index: 1,
        name: 'NVIDIA A100-SXM4-40GB',
        memoryGb: 40,
        uuid: 'GPU-bbbbbbbb-0000-0000-0000-000000000000',
        sku: null,
        reason: '"NVIDIA A100-SXM4-40GB" has 40 GB; gpu-a100-large is the 80GB A100',
      },
      { index: 2, name: 'Tesla T4', memoryGb: 15, uuid: 'GPU-cccccccc-0000-0000-0000-000000000000', sku: 'gpu-t4' },
    ]);
  });

  it('skips blank lines and tolerates CRLF', () => {
    expect(parseNvidiaSmi('\r\n0, NVIDIA H100 80GB HBM3, 81559, GPU-x\r\n\r\n')).toHaveLength(1);
  });

  it('rejects a malformed line, naming it', () => {
    expect(() => parseNvidiaSmi('0, NVIDIA H100')).toThrow('cannot read line "0, NVIDIA H100"');
    expect(() => parseNvidiaSmi('x, NVIDIA H100, 81559, u')).toThrow('cannot read line');
  });

  it.each([
    ['NVIDIA H100 80GB HBM3', 79.6, 'gpu-h100'],
    ['NVIDIA H100 PCIe', 79.6, 'gpu-h100'],
    ['NVIDIA A100 80GB PCIe', 79.6, 'gpu-a100-large'],
    ['NVIDIA L40S', 45, 'gpu-l40s'],
    ['Tesla T4', 15, 'gpu-t4'],
    ['NVIDIA GeForce RTX 4090', 24, null],
  ])('maps %s to %s', (name, memory, sku) => {
    expect(skuForGpuName(name, memory).sku).toBe(sku);
  });

  it('keeps an unknown GPU with a reason', () => {
    expect(skuForGpuName('NVIDIA GeForce RTX 4090', 24)).toEqual({ sku: null, reason: 'no SKU for GPU "NVIDIA GeForce RTX 4090"' });
  });
});

describe('parseDeclaredGpus', () => {
  it('numbers devices in declaration order with catalogue memory', () => {
    const gpus = parseDeclaredGpus('gpu-h100:2, gpu-t4:1');
    expect(gpus.map((g) => [g.index, g.sku, g.memoryGb])).toEqual([
      [0, 'gpu-h100', 80],
      [1, 'gpu-h100', 80],
      [2, 'gpu-t4', 16],
    ]);
  });

  it('defaults a missing count to 1 and reads "" as no GPUs', () => {
    expect(parseDeclaredGpus('gpu-l40s')).toHaveLength(1);
    expect(parseDeclaredGpus('  ')).toEqual([]);
  });

  it.each([
    ['gpu-h200:8', 'gpu-h200:8', 'unknown GPU SKU "gpu-h200"'],
    ['gpu-h100:0', 'gpu-h100:0', 'count must be a whole number from 1 to 64'],
    ['gpu-h100:2.5', 'gpu-h100:2.5', 'count must be a whole number'],
    ['gpu-h100:', 'gpu-h100:', 'count must be a whole number'],
    ['gpu-t4:2,,gpu-h100:1', '', 'empty entry'],
    ['gpu-h100-2x:1', 'gpu-h100-2x:1', 'declare devices as "gpu-h100:2"'],
    ['cpu:4', 'cpu:4', 'unknown GPU SKU "cpu"'],
    ['gpu-t4:1,gpu-t4:2', 'gpu-t4:2', 'declared twice'],
    ['H100 x8', 'H100 x8', 'expected "<sku>:<count>"'],
  ])('rejects %j naming entry %j', (declared, entry, detail) => {
    let error: unknown;
    try {
      parseDeclaredGpus(declared);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InventoryConfigError);
    expect((error as InventoryConfigError).entry).toBe(entry);
    expect((error as Error).message).toContain(detail);
  });
});

describe('inventory', () => {
  it('parses CPU slots and rejects junk', () => {
    expect(parseCpuSlots(' 8 ')).toBe(8);
    expect(() => parseCpuSlots('-1')).toThrow('"-1" is not a whole number');
  });

  it('prefers the declared GPUs over detection and always has a CPU slot', async () => {
    const detect = jest.fn();
    const inv = await loadInventory({ declaredGpus: 'gpu-t4:2', cpuSlots: 0, detect });
    expect(detect).not.toHaveBeenCalled();
    expect(inv.gpus).toHaveLength(2);
    expect(inv.cpuSlots).toBe(1);
  });

  it('falls back to detection and passes its note on', async () => {
    const inv = await loadInventory({ cpuSlots: 4, detect: async () => ({ gpus: [], note: 'nvidia-smi not found' }) });
    expect(inv).toEqual({ gpus: [], cpuSlots: 4, note: 'nvidia-smi not found' });
  });
});
