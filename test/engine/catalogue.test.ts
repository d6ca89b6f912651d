/**
 * The public model catalogue over real HTTP on a real Postgres: search, full entries, imports
 * that keep the catalogue's version id and schema, predictions against an import (validated by
 * the imported schema; refused while no worker has its GPU; run through a FAKE Cog server started
 * from a command template, since there is no Docker here), bad input, and the `gantry models` CLI.
 * Expected values are read from the catalogue package itself.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { api, startEngine, type EngineHandle } from '../helpers/engine';

const CLI = join(__dirname, '..', '..', 'engine', 'dist', 'src', 'cli.js');
const FAKE_COG = join(__dirname, '..', 'fixtures', 'fake-cog.js');
// Cog's server started with an upload URL: async file outputs reach the engine (not container paths).
const DEFAULT_GPU_COMMAND = `docker run --rm --gpus '"device={gpus}"' -p 127.0.0.1:{port}:5000 --add-host=host.docker.internal:host-gateway {image} python -m cog.server.http --upload-url={upload_url}`;

interface Entry {
  owner: string;
  name: string;
  url: string;
  description: string | null;
  run_count: number;
  github_url: string | null;
  paper_url: string | null;
  license_url: string | null;
  cover_image_url: string | null;
  default_example: Record<string, unknown>;
  latest_version: { id: string; cog_version: string; openapi_schema: { components: { schemas: Record<string, unknown> } } };
}

const catalogue = JSON.parse(
  readFileSync(join(dirname(require.resolve('all-the-public-replicate-models')), 'models.json'), 'utf8'),
) as Entry[];
const entry = (ref: string) => catalogue.find((m) => `${m.owner}/${m.name}` === ref) as Entry;
const sdxl = entry('stability-ai/sdxl');

let engine: EngineHandle;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  // One (declared) T4 and no L40S: an import on the default gpu-l40s has no worker to run on.
  engine = await startEngine({ env: { GANTRY_GPUS: 'gpu-t4:1' } });
  call = api(engine);
}, 90_000);
afterAll(async () => engine?.stop());

const problem = (res: { status: number; headers: Headers; json: any }, status: number, pointer?: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toEqual(expect.objectContaining({ status, title: expect.any(String), detail: expect.any(String) }));
  if (pointer) expect(res.json.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
};

describe('search', () => {
  test('finds stability-ai/sdxl first for "sdxl", exact names before name words, and says what is imported', async () => {
    const res = await call('GET', '/v1/catalogue?query=sdxl&limit=50');
    expect(res.status).toBe(200);
    expect(res.json.source).toEqual({ package: 'all-the-public-replicate-models', version: expect.any(String), models: catalogue.length });
    const refs: string[] = res.json.results.map((m: Entry) => `${m.owner}/${m.name}`);
    expect(refs[0]).toBe('stability-ai/sdxl');
    expect(refs).toHaveLength(50);
    // Every model named exactly "sdxl" ranks above bytedance/sdxl-lightning-4step despite its run count.
    const exact = catalogue.filter((m) => m.name === 'sdxl').length;
    expect(refs.slice(0, exact).every((r) => r.endsWith('/sdxl'))).toBe(true);
    expect(refs).toContain('bytedance/sdxl-lightning-4step');
    expect(res.json.results[0]).toEqual({
      url: sdxl.url,
      owner: 'stability-ai',
      name: 'sdxl',
      description: sdxl.description,
      run_count: sdxl.run_count,
      cover_image_url: sdxl.cover_image_url,
      github_url: sdxl.github_url,
      imported: false,
    });
  });

  test('several words rank models matching all of them first; no query lists the most-run models', async () => {
    const res = await call('GET', '/v1/catalogue?query=flux%20schnell&limit=3');
    expect(res.json.results[0]).toEqual(expect.objectContaining({ owner: 'black-forest-labs', name: 'flux-schnell' }));
    const top = await call('GET', '/v1/catalogue?limit=1');
    const mostRun = catalogue.reduce((a, b) => (b.run_count > a.run_count ? b : a));
    expect(top.json.results).toEqual([expect.objectContaining({ owner: mostRun.owner, name: mostRun.name })]);
  });

  test('bad parameters name the parameter', async () => {
    problem(await call('GET', '/v1/catalogue?query=x&limit=0'), 422, '/limit');
    problem(await call('GET', '/v1/catalogue?query=x&limit=abc'), 422, '/limit');
    problem(await call('GET', '/v1/catalogue?q=x'), 422, '/q');
  });

  test('a full entry carries the catalogue version with its schema', async () => {
    const res = await call('GET', '/v1/catalogue/stability-ai/sdxl');
    expect(res.status).toBe(200);
    expect(res.json.latest_version).toEqual(sdxl.latest_version);
    expect(res.json.default_example).toEqual(sdxl.default_example);
    problem(await call('GET', '/v1/catalogue/nobody/nothing-like-this'), 404);
  });
});

describe('import', () => {
  let imported: any;

  beforeAll(async () => {
    const res = await call('POST', '/v1/models/import', { model: 'stability-ai/sdxl' });
    expect(res.status).toBe(201);
    imported = res.json;
  });

  test('creates the model with what the catalogue says about it', () => {
    expect(imported).toEqual(
      expect.objectContaining({
        owner: 'stability-ai',
        name: 'sdxl',
        description: sdxl.description,
        github_url: sdxl.github_url,
        paper_url: sdxl.paper_url,
        license_url: sdxl.license_url,
        cover_image_url: sdxl.cover_image_url,
        default_example: sdxl.default_example,
        imported_from: 'https://replicate.com/stability-ai/sdxl',
      }),
    );
  });

  test('its version keeps the catalogue id, schema and Cog version, and runs the published image with Docker on a GPU', async () => {
    const id = sdxl.latest_version.id;
    expect(imported.latest_version).toEqual(
      expect.objectContaining({
        id,
        cog_version: sdxl.latest_version.cog_version,
        openapi_schema: sdxl.latest_version.openapi_schema,
        hardware: 'gpu-l40s',
        runner: { type: 'cog', image: `r8.im/stability-ai/sdxl@sha256:${id}`, command: DEFAULT_GPU_COMMAND, webhook_host: 'host.docker.internal' },
      }),
    );
    const version = await call('GET', `/v1/models/stability-ai/sdxl/versions/${id}`);
    expect(version.status).toBe(200);
    expect(version.json.openapi_schema).toEqual(sdxl.latest_version.openapi_schema);
  });

  test('importing again changes nothing (200), and search now marks it imported', async () => {
    const again = await call('POST', '/v1/models/import', { model: 'Stability-AI/SDXL' });
    expect(again.status).toBe(200);
    expect(again.json.latest_version.id).toBe(sdxl.latest_version.id);
    const versions = await call('GET', '/v1/models/stability-ai/sdxl/versions');
    expect(versions.json.results).toHaveLength(1);
    const found = await call('GET', '/v1/catalogue?query=stability-ai/sdxl&limit=1');
    expect(found.json.results[0].imported).toBe(true);
  });

  test('owner/name:versionid resolves; input is validated by the imported schema, then refused for want of a gpu-l40s worker', async () => {
    const ref = `stability-ai/sdxl:${sdxl.latest_version.id}`;
    // `refine` is an enum Cog writes as a $ref into components: it must resolve to be checked.
    const bad = await call('POST', '/v1/predictions', { version: ref, input: { prompt: 'a lighthouse', refine: 'sharpest', num_outputs: 9 } });
    problem(bad, 422);
    expect(bad.json.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/input/num_outputs', '/input/refine']);

    const good = await call('POST', '/v1/predictions', { version: ref, input: { prompt: 'a lighthouse' } });
    problem(good, 422, '/version');
    expect(good.json.detail).toMatch(/gpu-l40s/);
    const byModel = await call('POST', '/v1/models/stability-ai/sdxl/predictions', { input: { prompt: 'a lighthouse' } });
    problem(byModel, 422, '/version');
  });

  test('a name that states a large parameter count gets more GPUs; an iterator output streams', async () => {
    const res = await call('POST', '/v1/models/import', { model: 'meta/meta-llama-3-70b-instruct' });
    expect(res.status).toBe(201);
    expect(res.json.latest_version).toEqual(
      expect.objectContaining({ id: entry('meta/meta-llama-3-70b-instruct').latest_version.id, hardware: 'gpu-l40s-4x', streams: true }),
    );
  });

  test('with hardware and command given, an imported version runs (a fake Cog server stands in for Docker)', async () => {
    const hello = entry('zeke/hello-world');
    const res = await call('POST', '/v1/models/import', {
      model: 'zeke/hello-world',
      hardware: 'gpu-t4',
      command: `node ${FAKE_COG} --port {port} --gpus {gpus} --image {image}`,
    });
    expect(res.status).toBe(201);
    expect(res.json.latest_version.runner.image).toBe(`r8.im/zeke/hello-world@sha256:${hello.latest_version.id}`);
    const run = await call('POST', '/v1/predictions', { version: `zeke/hello-world:${hello.latest_version.id}`, input: { text: 'catalogue' } }, { prefer: 'wait=30' });
    expect(run.json.status).toBe('succeeded');
    expect(run.json.output).toEqual({ text: 'CATALOGUE', gpus: '0' });
    problem(await call('POST', '/v1/predictions', { version: 'zeke/hello-world', input: { text: 7 } }), 422, '/input/text');
  }, 60_000);
});

describe('bad imports name the field', () => {
  test('a model the catalogue lacks is 404 naming /model', async () => {
    const res = await call('POST', '/v1/models/import', { model: 'nobody/nothing-like-this' });
    problem(res, 404, '/model');
    expect(res.json.detail).toMatch(/not in the public catalogue/);
  });

  test('malformed names, unknown fields, bad hardware and commands are 422', async () => {
    for (const model of ['sdxl', 'a/b/c', 'bad name/x', '', 42]) problem(await call('POST', '/v1/models/import', { model }), 422, '/model');
    problem(await call('POST', '/v1/models/import', {}), 422, '/model');
    problem(await call('POST', '/v1/models/import', { model: 'stability-ai/sdxl', nope: 1 }), 422, '/nope');
    problem(await call('POST', '/v1/models/import', { model: 'zeke/hello-world', hardware: 'gpu-x9' }), 422, '/hardware');
    problem(await call('POST', '/v1/models/import', { model: 'zeke/hello-world', command: 'docker run' }), 422, '/command');
    problem(await call('POST', '/v1/models/import', '[]', { 'content-type': 'application/json' }), 422);
  });

  test('a catalogue schema that does not compile is refused at import, not at the first prediction', async () => {
    const res = await call('POST', '/v1/models/import', { model: 'laion-ai/laionide-v2' });
    problem(res, 422, '/model');
    expect(res.json.detail).toMatch(/not usable/);
    problem(await call('GET', '/v1/models/laion-ai/laionide-v2'), 404);
  });

  test('a model of the same name made here is not overwritten (409)', async () => {
    expect((await call('POST', '/v1/models', { owner: 'lucataco', name: 'sdxl', hardware: 'cpu' })).status).toBe(201);
    problem(await call('POST', '/v1/models/import', { model: 'lucataco/sdxl' }), 409);
  });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('gantry models (CLI)', () => {
  test('search --json finds stability-ai/sdxl first, offline', async () => {
    const res = await cli(['models', 'search', 'sdxl', '--json', '--limit', '5'], { GANTRY_URL: 'http://127.0.0.1:9' });
    expect(res.code).toBe(0);
    const json = JSON.parse(res.stdout);
    expect(json.query).toBe('sdxl');
    expect(json.results).toHaveLength(5);
    expect(json.results[0]).toEqual(expect.objectContaining({ owner: 'stability-ai', name: 'sdxl', run_count: sdxl.run_count }));
  });

  test('search prints owner/name, runs and description; nothing found exits 1; no words is a usage error', async () => {
    const res = await cli(['models', 'search', 'flux', 'schnell', '--limit=2']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^black-forest-labs\/flux-schnell\s+[\d.]+[KMB]? runs\s+\S/);
    expect((await cli(['models', 'search', 'zzzqqqxxy'])).code).toBe(1);
    const usage = await cli(['models', 'search']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/usage:/);
  });

  test('import talks to the engine over HTTP (GANTRY_URL, GANTRY_API_TOKEN) and reports API errors', async () => {
    const env = { GANTRY_URL: engine.url, GANTRY_API_TOKEN: engine.token };
    const first = await cli(['models', 'import', 'replicate/hello-concurrency'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const id = entry('replicate/hello-concurrency').latest_version.id;
    expect(first.stdout).toContain('imported replicate/hello-concurrency');
    expect(first.stdout).toContain(`replicate/hello-concurrency:${id}`);
    expect((await call('GET', `/v1/models/replicate/hello-concurrency/versions/${id}`)).status).toBe(200);

    const again = await cli(['models', 'import', 'replicate/hello-concurrency', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).latest_version.id).toBe(id);

    const missing = await cli(['models', 'import', 'nobody/nothing-like-this'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/HTTP 404/);
    expect(missing.stderr).toMatch(/\/model: /);

    const unreachable = await cli(['models', 'import', 'zeke/hello-world', '--url', 'http://127.0.0.1:9', '--token', 'x']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the engine/);
  });
});
