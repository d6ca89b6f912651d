/**
 * The catalogue's pure parts as tables: search ranking, the hardware an import gets, and cutting
 * one entry out of models.json (with the full parse as the fallback for another layout).
 */
import { findCatalogueModel, findLiteModel } from '../../engine/src/public-catalogue';
import { sliceEntry, type CatalogueModel, type LiteModel } from '../../engine/src/public-catalogue/data';
import { importHardware, statedParameters } from '../../engine/src/public-catalogue/hardware';
import { searchModels } from '../../engine/src/public-catalogue/search';

const model = (ref: string, run_count: number, description: string | null = null): LiteModel => {
  const [owner, name] = ref.split('/');
  return { url: `https://replicate.com/${ref}`, owner, name, description, run_count, cover_image_url: null, github_url: null };
};

describe('searchModels', () => {
  const models = [
    model('bytedance/sdxl-lightning-4step', 700),
    model('stability-ai/sdxl', 70),
    model('someone/sdxl', 5),
    model('fofr/any-comfyui', 900, 'Run SDXL workflows'),
    model('meta/meta-llama-3-8b', 300, 'A language model'),
    model('other/llama-tools', 1000),
    model('x/codellama', 5000),
    model('quiet/nothing', 1),
  ];
  const refs = (query: string, limit = 10) => searchModels(models, query, limit).map((m) => `${m.owner}/${m.name}`);

  test.each([
    // exact name beats a name word, which beats the description; ties go to the most run
    ['sdxl', ['stability-ai/sdxl', 'someone/sdxl', 'bytedance/sdxl-lightning-4step', 'fofr/any-comfyui']],
    // a word of the name beats the same letters inside a longer word, however often that ran
    ['llama', ['other/llama-tools', 'meta/meta-llama-3-8b', 'x/codellama']],
    // the owner counts
    ['fofr', ['fofr/any-comfyui']],
    // models matching more of the query's words come first
    ['llama language', ['meta/meta-llama-3-8b', 'other/llama-tools', 'x/codellama']],
    ['sdxl lightning', ['bytedance/sdxl-lightning-4step', 'stability-ai/sdxl', 'someone/sdxl', 'fofr/any-comfyui']],
    // a full reference finds exactly that model first
    ['stability-ai/sdxl', ['stability-ai/sdxl']],
    ['zzz', []],
  ])('%s', (query, expected) => {
    expect(refs(query)).toEqual(expected);
  });

  test('an empty query lists the most run; limit cuts', () => {
    expect(refs('', 2)).toEqual(['x/codellama', 'other/llama-tools']);
    expect(refs('sdxl', 1)).toEqual(['stability-ai/sdxl']);
  });
});

describe('hardware of an import', () => {
  test.each([
    ['sdxl', undefined],
    ['meta-llama-3-70b-instruct', 70],
    ['mixtral-8x7b-instruct-v0.1', 56],
    ['llava-v1.6-34b', 34],
    ['qwen2.5-7b-instruct', 7],
    ['sdxl-lightning-4step', undefined],
    ['phi-3-mini-4k-instruct', undefined],
  ])('%s states %s billion parameters', (name, parameters) => {
    expect(statedParameters(name)).toBe(parameters);
  });

  test.each([
    // no stated size: the operator's default
    ['sdxl', 'gpu-l40s', 'gpu-l40s'],
    // 8B × 2.4 GB fits one L40S (48 GB)
    ['meta-llama-3-8b-instruct', 'gpu-l40s', 'gpu-l40s'],
    // 70B needs 168 GB: four L40S (192 GB); two A100s (160 GB) are short, so four
    ['meta-llama-3-70b-instruct', 'gpu-l40s', 'gpu-l40s-4x'],
    ['meta-llama-3-70b-instruct', 'gpu-a100-large', 'gpu-a100-large-4x'],
    // 405B fits nowhere: the most GPUs of the preferred type
    ['meta-llama-3.1-405b-instruct', 'gpu-h100', 'gpu-h100-8x'],
    // T4s come one at a time: stays a T4
    ['llama-2-13b-chat', 'gpu-t4', 'gpu-t4'],
    // an operator's multi-GPU default is never shrunk
    ['meta-llama-3-8b', 'gpu-h100-2x', 'gpu-h100-2x'],
    // CPU stays CPU
    ['llama-2-70b', 'cpu', 'cpu'],
  ])('%s on default %s → %s', (name, preferred, expected) => {
    expect(importHardware(name, preferred)).toBe(expected);
  });
});

describe('sliceEntry', () => {
  const a = { url: 'https://replicate.com/a/one', owner: 'a', name: 'one', latest_version: { id: 'x', nested: { url: 'https://replicate.com/b/two' } } };
  const b = { url: 'https://replicate.com/b/two', owner: 'b', name: 'two', default_example: { input: { text: '}\n  {' } } };

  test('cuts an entry out of the pretty-printed layout, not fooled by nested urls or braces inside strings', () => {
    const file = Buffer.from(JSON.stringify([a, b], null, 2));
    expect(sliceEntry(file, b.url)).toEqual(b);
    expect(sliceEntry(file, a.url)).toEqual(a);
    expect(sliceEntry(file, 'https://replicate.com/c/three')).toBeUndefined();
  });

  test('another layout gives undefined (the caller parses the whole file instead)', () => {
    expect(sliceEntry(Buffer.from(JSON.stringify([a, b])), b.url)).toBeUndefined();
    expect(sliceEntry(Buffer.from(JSON.stringify([a, b], null, '\t')), b.url)).toBeUndefined();
  });

  test('the shipped catalogue: lookups are case-insensitive and return the full entry', async () => {
    expect(await findLiteModel('Stability-AI', 'SDXL')).toEqual(expect.objectContaining({ owner: 'stability-ai', name: 'sdxl' }));
    const full = (await findCatalogueModel('stability-ai', 'sdxl')) as CatalogueModel;
    expect(full.latest_version?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(full.latest_version?.openapi_schema).toEqual(expect.objectContaining({ components: expect.any(Object) }));
    expect(await findCatalogueModel('nobody', 'nothing-like-this')).toBeUndefined();
  });
});
