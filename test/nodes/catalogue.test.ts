/**
 * Run Model and the public catalogue (Gantry only), in-process n8n against a real engine: the
 * searchable model list adds catalogue models not imported yet, the input fields of such a model
 * come from the catalogue, the "Import From Catalogue" operation imports, and the Run option
 * imports before running. The engine's import defaults point at a FAKE Cog server on a declared
 * T4 (no Docker or GPU here), so an imported model really runs.
 */
import { join } from 'node:path';
import { LoadOptionsContext } from 'n8n-core';
import type { ILoadOptionsFunctions, INodeListSearchResult, INodeType, ResourceMapperFields } from 'n8n-workflow';
import { N8nHarness, PKG, modelRef, runModel, setup, single, teardown, type Env } from './harness/setup';

const FAKE_COG = join(__dirname, '..', 'fixtures', 'fake-cog.js');
const NOT_IMPORTED = '(catalogue — not imported)';

let env: Env;
beforeAll(async () => {
  env = await setup({
    env: {
      GANTRY_GPUS: 'gpu-t4:1',
      GANTRY_IMPORT_HARDWARE: 'gpu-t4',
      GANTRY_COG_COMMAND: `node ${FAKE_COG} --port {port} --gpus {gpus} --image {image}`,
    },
  });
}, 120000);
afterAll(async () => teardown(env));

const out = (run: Parameters<typeof N8nHarness.output>[0], node = 'Run Model') => N8nHarness.output(run, node);

/** What the n8n editor builds to call a node's list-search and resource-mapper methods. */
function loadOptions(parameters: Record<string, unknown>, path = 'parameters.model'): ILoadOptionsFunctions {
  const workflow = env.n8n.workflow(runModel(parameters));
  const node = workflow.getNode('Run Model')!;
  const additionalData = { ...env.n8n.additionalData('load-options'), currentNodeParameters: node.parameters };
  return new LoadOptionsContext(workflow, node, additionalData, path);
}

const methods = () => (env.n8n.nodeTypes.getByName(`${PKG}.gantryRunModel`) as INodeType).methods!;
const searchModels = async (filter?: string) =>
  (await methods().listSearch!.searchModels.call(loadOptions({ model: modelRef('') }), filter)) as INodeListSearchResult;

describe('the model list', () => {
  test('adds catalogue models the engine does not have, marked, after its own models', async () => {
    const list = await searchModels('hello-world');
    const names = list.results.map((r) => r.name);
    expect(names).toContain(`zeke/hello-world ${NOT_IMPORTED}`);
    const entry = list.results.find((r) => r.name === `zeke/hello-world ${NOT_IMPORTED}`)!;
    expect(entry.value).toBe('zeke/hello-world');
    expect(entry.url).toBe('https://replicate.com/zeke/hello-world');

    const echo = await searchModels('echo');
    expect(echo.results[0]).toEqual(expect.objectContaining({ name: 'gantry/echo', value: 'gantry/echo' }));
    expect(echo.results.slice(1).every((r) => r.name.endsWith(NOT_IMPORTED))).toBe(true);
  });

  test('with no filter the first page still offers the most-run catalogue models', async () => {
    const list = await searchModels();
    expect(list.results.some((r) => r.name === 'gantry/echo')).toBe(true);
    expect(list.results.some((r) => r.name === `bytedance/sdxl-lightning-4step ${NOT_IMPORTED}`)).toBe(true);
  });

  test("a model not imported yet shows the catalogue's input fields and a Latest version", async () => {
    const context = loadOptions({ model: modelRef('stability-ai/sdxl'), version: '' }, 'parameters.inputs');
    const fields = (await methods().resourceMapping!.getModelInputs.call(context)) as ResourceMapperFields;
    const prompt = fields.fields.find((f) => f.id === 'prompt');
    expect(prompt).toEqual(expect.objectContaining({ type: 'string' }));
    const refine = fields.fields.find((f) => f.id === 'refine');
    expect(refine?.options?.map((o) => o.value)).toContain('expert_ensemble_refiner');
    const versions = await methods().loadOptions!.getVersions.call(loadOptions({ model: modelRef('stability-ai/sdxl') }, 'parameters.version'));
    expect(versions.map((v) => v.name)).toEqual(['Latest']);
  });
});

describe('importing', () => {
  const importNode = (model: string, importOptions: Record<string, unknown> = {}) =>
    single('gantryRunModel', { operation: 'import', model: modelRef(model), importOptions }, 'Import');

  test('the Import From Catalogue operation imports once; the list then shows the model as the engine’s own', async () => {
    const first = await env.n8n.run(importNode('replicate/hello-concurrency', { hardware: 'gpu-l40s' }), 'Import');
    expect(first.status).toBe('success');
    const model = out(first.result, 'Import')[0];
    expect(model.json).toEqual(expect.objectContaining({ owner: 'replicate', name: 'hello-concurrency', created: true }));
    expect((model.json.latest_version as { hardware: string }).hardware).toBe('gpu-l40s');
    expect(model.pairedItem).toEqual({ item: 0 });

    const again = await env.n8n.run(importNode('replicate/hello-concurrency'), 'Import');
    expect(out(again.result, 'Import')[0].json.created).toBe(false);

    const list = await searchModels('hello-concurrency');
    const names = list.results.map((r) => r.name);
    expect(names).toContain('replicate/hello-concurrency');
    expect(names).not.toContain(`replicate/hello-concurrency ${NOT_IMPORTED}`);
  });

  test('a model the catalogue lacks is a clear node error naming it', async () => {
    const exec = await env.n8n.run(importNode('nobody/nothing-like-this'), 'Import');
    expect(exec.status).toBe('error');
    expect(exec.result!.data.resultData.error!.message).toMatch(/nobody\/nothing-like-this is not in the public catalogue/);
  });

  test('Run Model with "Import From Catalogue" imports a missing model, then runs it', async () => {
    const without = await env.n8n.run(runModel({ model: modelRef('zeke/hello-world'), inputJson: '{"text": "n8n"}' }), 'Run Model');
    expect(without.status).toBe('error');
    expect(without.result!.data.resultData.error!.message).toMatch(/^Not found/);

    const exec = await env.n8n.run(
      runModel({ model: modelRef('zeke/hello-world'), inputJson: '{"text": "n8n"}', options: { importFromCatalogue: true } }),
      'Run Model',
    );
    expect(exec.status).toBe('success');
    const json = out(exec.result)[0].json as any;
    expect(json.status).toBe('succeeded');
    expect(json.output).toEqual({ text: 'N8N', gpus: '0' });
    const imported = await env.api('GET', '/v1/models/zeke/hello-world');
    expect(json.version).toBe(imported.json.latest_version.id);
    expect(imported.json.imported_from).toBe('https://replicate.com/zeke/hello-world');
  }, 60000);
});
