import sharp from 'sharp';
import { N8nHarness, modelRef, runModel, setup, teardown, type Env } from './harness/setup';

let env: Env;
beforeAll(async () => {
  env = await setup();
}, 120000);
afterAll(async () => teardown(env));

const out = (run: Parameters<typeof N8nHarness.output>[0], node = 'Run Model') => N8nHarness.output(run, node);

describe('Run Model (wait mode) against the engine', () => {
  test('runs gantry/echo per item: output, metrics, cost, tags, pairedItem', async () => {
    const exec = await env.n8n.run(
      runModel({ model: modelRef('gantry/echo'), inputJson: '={{ JSON.stringify({ text: $json.word }) }}' }),
      'Run Model',
      [{ json: { word: 'alpha' } }, { json: { word: 'beta' } }],
    );
    expect(exec.status).toBe('success');
    const items = out(exec.result);
    expect(items.map((i) => i.json.output)).toEqual(['alpha', 'beta']);
    expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
    const first = items[0].json as any;
    expect(first.status).toBe('succeeded');
    expect(first.model).toBe('gantry/echo');
    expect(typeof first.metrics.predict_time).toBe('number');
    expect(first.cost).toEqual(expect.objectContaining({ total_usd: expect.any(Number) }));
    expect(first.tags).toEqual({ n8n_workflow_id: 'wf-test', n8n_execution_id: exec.id, n8n_node: 'Run Model' });
    const stored = await env.api('GET', `/v1/predictions/${first.id}`);
    expect(stored.json.tags.n8n_execution_id).toBe(exec.id);
  });

  test('fields mode: resource-mapper values are coerced by the version schema', async () => {
    const exec = await env.n8n.run(
      runModel({
        model: modelRef('gantry/echo'),
        inputMode: 'fields',
        inputs: { mappingMode: 'defineBelow', value: { text: 'typed', sleep: '0', fail: 'false' }, matchingColumns: [], schema: [] },
      }),
      'Run Model',
    );
    expect(exec.status).toBe('success');
    const json = out(exec.result)[0].json as any;
    expect(json.output).toBe('typed');
    expect(json.input).toEqual(expect.objectContaining({ text: 'typed', sleep: 0, fail: false }));
  });

  test('a failing prediction is a clear node error; continue-on-fail gives an { error } item', async () => {
    const failing = runModel({ model: modelRef('gantry/echo'), inputJson: '{"fail": true}' });
    const exec = await env.n8n.run(failing, 'Run Model');
    expect(exec.status).toBe('error');
    expect(exec.result!.data.resultData.error!.message).toMatch(/^Prediction \w+ failed/);

    const tolerant = runModel({ model: modelRef('gantry/echo'), inputJson: '{"fail": true}' }, 'Run Model', { onError: 'continueRegularOutput' });
    const exec2 = await env.n8n.run(tolerant, 'Run Model', [{ json: {} }, { json: {} }]);
    expect(exec2.status).toBe('success');
    const items = out(exec2.result);
    expect(items).toHaveLength(2);
    expect(items[1]).toEqual({ json: expect.objectContaining({ error: expect.stringMatching(/failed/) }), pairedItem: { item: 1 } });
  });

  test('retries a failed prediction with backoff, then the fallback model answers', async () => {
    const exec = await env.n8n.run(
      runModel({
        model: modelRef('gantry/echo'),
        inputJson: '{"fail": true, "text": "via fallback"}',
        options: { retries: 1, retryDelay: 0.1, fallbackModel: 'gantry/ocr' },
      }),
      'Run Model',
    );
    // gantry/ocr rejects the echo input, so the fallback error is what surfaces…
    expect(exec.status).toBe('error');
    const predictions = await env.api('GET', '/v1/predictions');
    const failedEchoes = predictions.json.results.filter((p: any) => p.model === 'gantry/echo' && p.input.text === 'via fallback');
    expect(failedEchoes).toHaveLength(2);
  });

  test('fallback model runs when the first model fails', async () => {
    const exec = await env.n8n.run(
      runModel({
        model: modelRef('gantry/does-not-exist'),
        inputJson: '{"text": "second chance"}',
        options: { fallbackModel: 'gantry/echo' },
      }),
      'Run Model',
    );
    expect(exec.status).toBe('success');
    const json = out(exec.result)[0].json as any;
    expect(json.output).toBe('second chance');
    expect(json.model).toBe('gantry/echo');
    expect(json.fallback).toEqual(
      expect.objectContaining({ used: true, model: 'gantry/echo', primaryModel: 'gantry/does-not-exist', primaryError: expect.stringMatching(/Not found/) }),
    );
  });

  test('timeout cancels the prediction and says so', async () => {
    const exec = await env.n8n.run(
      runModel({ model: modelRef('gantry/echo'), inputJson: '{"sleep": 30}', options: { timeout: 1, pollInterval: 0.2 } }),
      'Run Model',
    );
    expect(exec.status).toBe('error');
    const message = exec.result!.data.resultData.error!.message;
    expect(message).toMatch(/did not finish in time/);
    const id = /Prediction (\w+)/.exec(message)![1];
    const stored = await N8nHarness.until(async () => {
      const r = await env.api('GET', `/v1/predictions/${id}`);
      return ['canceled', 'aborted'].includes(r.json.status) ? r.json : null;
    }).catch(async (e) => {
      throw new Error(`${e.message}: ${JSON.stringify((await env.api('GET', `/v1/predictions/${id}`)).json)}`);
    });
    expect(stored.id).toBe(id);
  });

  test('binary inputs: small ones inline as data URIs, large ones uploaded through POST /v1/files', async () => {
    const binary = { doc: { data: Buffer.from('hello file').toString('base64'), mimeType: 'text/plain', fileName: 'hello.txt' } };
    const inline = await env.n8n.run(
      runModel({ model: modelRef('gantry/echo'), inputJson: '{}', binaryInputs: { values: [{ field: 'text', binaryProperty: 'doc' }] } }),
      'Run Model',
      [{ json: {}, binary }],
    );
    expect(out(inline.result)[0].json.output).toBe(`data:text/plain;base64,${binary.doc.data}`);
    // The echoed data URI is itself a file output: downloaded into binary with its MIME type.
    expect(out(inline.result)[0].binary!.output.mimeType).toBe('text/plain');

    const uploaded = await env.n8n.run(
      runModel({ model: modelRef('gantry/echo'), inputJson: '{}', binaryInputs: { values: [{ field: 'text', binaryProperty: 'doc' }] }, options: { uploadThresholdKb: 0 } }),
      'Run Model',
      [{ json: {}, binary }],
    );
    expect(uploaded.result!.data.resultData.error?.message).toBeUndefined();
    const url = out(uploaded.result)[0].json.output as string;
    expect(url).toMatch(/\/v1\/files\//);
    const files = (await env.api('GET', '/v1/files')).json.results;
    expect(files).toEqual(expect.arrayContaining([expect.objectContaining({ size: 10, content_type: 'text/plain' })]));
  });

  test('file outputs served by the engine over HTTP are downloaded into binary with their MIME type and name', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } }).png().toBuffer();
    const resized = await env.n8n.run(
      runModel({
        model: modelRef('gantry/image-resize'),
        inputJson: '{"width": 32, "format": "webp"}',
        binaryInputs: { values: [{ field: 'image', binaryProperty: 'photo' }] },
      }),
      'Run Model',
      [{ json: {}, binary: { photo: { data: png.toString('base64'), mimeType: 'image/png', fileName: 'photo.png' } } }],
    );
    expect(resized.result!.data.resultData.error?.message).toBeUndefined();
    const [item] = out(resized.result);
    expect(item.json.output).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/files\//);
    expect(item.binary!.output).toEqual(expect.objectContaining({ mimeType: 'image/webp', fileName: expect.stringMatching(/\.webp$/) }));
    const meta = await sharp(Buffer.from(item.binary!.output.data, 'base64')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 32, 24]);
    expect(item.json.cost).toEqual(expect.objectContaining({ rule: 'per_image', quantity: 1 }));

    const spoken = await env.n8n.run(runModel({ model: modelRef('gantry/tts'), inputJson: '{"text": "Hello from n8n"}' }), 'Run Model');
    const [speech] = out(spoken.result);
    expect(speech.binary!.output.mimeType).toBe('audio/wav');
    expect(Buffer.from(speech.binary!.output.data, 'base64').subarray(0, 4).toString()).toBe('RIFF');
    expect(speech.json.metrics.audio_output_seconds).toBeGreaterThan(0.3);
  });

  test('unknown model: API 404 mapped to a clear node error', async () => {
    const exec = await env.n8n.run(runModel({ model: modelRef('gantry/nope'), inputJson: '{}' }), 'Run Model');
    expect(exec.status).toBe('error');
    const error = exec.result!.data.resultData.error as any;
    expect(error.message).toMatch(/^Not found/);
    expect(error.httpCode).toBe('404');
  });

  test('bad token: 401 mapped to an authentication message', async () => {
    env.n8n.credentials.gantryApi = { baseUrl: env.engine.url, apiToken: 'wrong' };
    try {
      const exec = await env.n8n.run(runModel({ model: modelRef('gantry/echo'), inputJson: '{}' }), 'Run Model');
      expect(exec.result!.data.resultData.error!.message).toMatch(/Authentication failed/);
    } finally {
      env.n8n.credentials.gantryApi = { baseUrl: env.engine.url, apiToken: env.engine.token };
    }
  });
});
