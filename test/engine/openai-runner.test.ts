/**
 * The `openai` runner against a FAKE OpenAI-compatible server (test/fixtures/fake-openai.js, a
 * separate process written from the documented chat-completions streaming format; no vLLM or
 * GPU here), through the real engine's HTTP API: versions attached by URL and started from a
 * command template, the generated Replicate-style LLM schema, the mapping of inputs to the
 * request, the output as streamed chunks (in the SSE stream and output webhooks while it runs),
 * token metrics and per-token cost, cancel reaching the server, server failures, bad specs and
 * bad inputs, and the process group of a started server going away with the engine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';

const FAKE = join(__dirname, '..', 'fixtures', 'fake-openai.js');
const TERMINAL = ['succeeded', 'failed', 'canceled', 'aborted'];
let engine: EngineHandle;
let call: ReturnType<typeof api>;
const fakes: ChildProcess[] = [];

interface Fake {
  url: string;
  /** What the fake received and how many streams its client aborted (its test-only endpoint). */
  seen(): Promise<{ requests: Array<Record<string, any>>; aborted: number }>;
}

/** Starts a fake server on a free port; resolves once it listens. */
function startFake(args: string[] = []): Promise<Fake> {
  const child = spawn(process.execPath, [FAKE, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  fakes.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\d+)/.exec(out);
      if (m) {
        const url = `http://127.0.0.1:${m[1]}`;
        resolve({ url, seen: async () => (await fetch(`${url}/_fake/requests`)).json() as Promise<{ requests: Array<Record<string, any>>; aborted: number }> });
      }
    });
    child.on('exit', (code) => reject(new Error(`fake server exited with ${code}`)));
  });
}

let models = 0;
/** A new model and an openai version on it; returns the version response. */
async function openaiVersion(runner: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const name = `llm-${++models}`;
  await call('POST', '/v1/models', { owner: 'oai', name, visibility: 'private', hardware: (extra.hardware as string) ?? 'cpu' });
  return call('POST', `/v1/models/oai/${name}/versions`, { runner: { type: 'openai', ...runner }, ...extra });
}

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const prediction = (id: string) => call('GET', `/v1/predictions/${id}`).then((r) => r.json);
const finished = (id: string) => waitFor(() => prediction(id), (p) => TERMINAL.includes(p.status), 30_000);

let plain: Fake;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_GPUS: 'gpu-t4:1', GANTRY_CPU_SLOTS: '16' } });
  call = api(engine);
  plain = await startFake(['--delay-ms', '5']);
}, 90_000);

afterAll(async () => {
  for (const f of fakes) f.kill();
  await engine?.stop();
});

test('a version attached by URL gets a Replicate-style LLM schema and streams', async () => {
  const v = await openaiVersion({ url: `${plain.url}/v1`, model: 'fake-llm' });
  expect(v.status).toBe(201);
  expect(v.json.streams).toBe(true);
  const { Input, Output } = v.json.openapi_schema.components.schemas;
  expect(Input.required).toEqual(['prompt']);
  // Form order is x-order (a stored schema's keys come back in the database's order).
  const byOrder = Object.entries(Input.properties as Record<string, { 'x-order': number }>).sort(([, a], [, b]) => a['x-order'] - b['x-order']);
  expect(byOrder.map(([name]) => name)).toEqual([
    'prompt',
    'system_prompt',
    'max_tokens',
    'max_new_tokens',
    'temperature',
    'top_p',
    'stop',
    'seed',
    'presence_penalty',
    'frequency_penalty',
  ]);
  expect(Input.properties.temperature).toEqual(expect.objectContaining({ type: 'number', default: 0.6, minimum: 0, maximum: 2 }));
  expect(Input.properties.max_tokens).toEqual(expect.objectContaining({ type: 'integer', default: 512, minimum: 1 }));
  expect(Output).toEqual({
    title: 'Output',
    type: 'array',
    items: { type: 'string' },
    'x-cog-array-type': 'iterator',
    'x-cog-array-display': 'concatenate',
  });
});

test('inputs map to a streamed chat completion; output, token metrics and per-token cost come back', async () => {
  const v = await openaiVersion(
    { url: plain.url, model: 'fake-llm' },
    { pricing: [{ rule: 'per_input_token', unit_price_usd: 0.000003 }, { rule: 'per_output_token', unit_price_usd: 0.000015 }] },
  );
  const res = await call(
    'POST',
    '/v1/predictions',
    { version: v.json.id, input: { prompt: 'hello world', system_prompt: 'be brief', max_new_tokens: 50, stop: 'xyz,<|eot_id|>', seed: 7 } },
    { prefer: 'wait=30' },
  );
  expect(res.json.status).toBe('succeeded');
  expect(res.json.urls.stream).toMatch(/\/v1\/streams\//);
  expect(res.json.output).toEqual(['You', ' said:', ' hello', ' world']);

  const sent = (await plain.seen()).requests.at(-1)!;
  expect(sent).toEqual({
    model: 'fake-llm',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello world' },
    ],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 50,
    temperature: 0.6,
    top_p: 0.9,
    seed: 7,
    presence_penalty: 0,
    frequency_penalty: 0,
    stop: ['xyz', '<|eot_id|>'],
  });

  const m = res.json.metrics;
  // The fake counts one token per word: 2 (system) + 2 (prompt) in, 4 out.
  expect(m.input_token_count).toBe(4);
  expect(m.output_token_count).toBe(4);
  expect(m.time_to_first_token).toBeGreaterThan(0);
  expect(m.time_to_first_token).toBeLessThan(m.predict_time);
  expect(m.tokens_per_second).toBeGreaterThan(0);
  expect(res.json.cost.total_usd).toBeCloseTo(4 * 0.000003 + 4 * 0.000015, 12);
  expect(res.json.cost.items).toEqual([
    expect.objectContaining({ rule: 'per_input_token', quantity: 4 }),
    expect.objectContaining({ rule: 'per_output_token', quantity: 4 }),
  ]);
});

test('max_tokens ends generation (finish_reason length, noted in the logs); stop sequences end it too', async () => {
  const v = await openaiVersion({ url: plain.url, model: 'fake-llm' });
  const short = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'count to 10', max_tokens: 3 } }, { prefer: 'wait=30' });
  expect(short.json.output).toEqual(['1', ' 2', ' 3']);
  expect(short.json.logs).toContain('finish_reason: length');
  expect(short.json.metrics.output_token_count).toBe(3);
  const stopped = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'count to 10', stop: [' 5'] } }, { prefer: 'wait=30' });
  expect(stopped.json.output).toEqual(['1', ' 2', ' 3', ' 4']);
});

test('a version with its own schema sends only the inputs it has (the server defaults the rest)', async () => {
  const schema = {
    openapi: '3.0.2',
    components: {
      schemas: {
        Input: { type: 'object', required: ['prompt'], properties: { prompt: { type: 'string' }, temperature: { type: 'number' } } },
        Output: { type: 'array', items: { type: 'string' } },
      },
    },
  };
  const v = await openaiVersion({ url: plain.url, model: 'fake-llm' }, { openapi_schema: schema });
  expect(v.status).toBe(201);
  expect(v.json.streams).toBe(true);
  const res = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'hi', temperature: 0 } }, { prefer: 'wait=30' });
  expect(res.json.output).toEqual(['You', ' said:', ' hi']);
  const sent = (await plain.seen()).requests.at(-1)!;
  expect(sent).toEqual({ model: 'fake-llm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true }, temperature: 0 });
});

/** Reads an SSE response as it arrives, calling `onEvent` for each event. */
async function readStream(url: string, onEvent: (e: { event: string; data: string }) => void | Promise<void>): Promise<void> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream' } });
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n').filter((l) => l && !l.startsWith(':'));
      const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message';
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      if (lines.length) await onEvent({ event, data });
      end = buffer.indexOf('\n\n');
    }
  }
}

test('chunks reach the SSE stream and output webhooks while the model is still generating', async () => {
  const slow = await startFake(['--delay-ms', '60']);
  const receiver: Receiver = await startReceiver();
  try {
    const v = await openaiVersion({ url: slow.url, model: 'fake-llm' });
    const created = await call('POST', '/v1/predictions', {
      version: v.json.id,
      input: { prompt: 'count to 15' },
      webhook: receiver.url,
      webhook_events_filter: ['output', 'completed'],
    });
    expect(created.status).toBe(201);
    const outputs: string[] = [];
    const statusAtFirstOutput: string[] = [];
    let sawDone = false;
    await readStream(created.json.urls.stream, async (e) => {
      if (e.event === 'output') {
        if (outputs.length === 0) statusAtFirstOutput.push((await prediction(created.json.id)).status);
        outputs.push(e.data);
      }
      if (e.event === 'done') sawDone = true;
    });
    expect(statusAtFirstOutput).toEqual(['processing']);
    expect(outputs.join('')).toBe('1 2 3 4 5 6 7 8 9 10 11 12 13 14 15');
    expect(sawDone).toBe(true);
    const final = await finished(created.json.id);
    expect(final.output).toEqual(outputs);
    const completed = await receiver.waitFor((d) => d.json?.status === 'succeeded', 10_000);
    expect(completed.json.output).toHaveLength(15);
    const partial = receiver.deliveries.filter((d) => d.json?.status === 'processing');
    expect(partial.length).toBeGreaterThan(0);
    expect(partial[0].json.output.length).toBeGreaterThan(0);
    expect(partial[0].json.output.length).toBeLessThan(15);
  } finally {
    await receiver.close();
  }
}, 60_000);

test('cancel aborts the HTTP request to the server; the partial output and its tokens stay', async () => {
  const slow = await startFake(['--delay-ms', '60']);
  const v = await openaiVersion({ url: slow.url, model: 'fake-llm' }, { pricing: [{ rule: 'per_output_token', unit_price_usd: 0.00001 }] });
  const created = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'count to 500' } });
  const running = await waitFor(() => prediction(created.json.id), (p) => (p.output?.length ?? 0) >= 3);
  expect(running.status).toBe('processing');
  const canceled = await call('POST', `/v1/predictions/${created.json.id}/cancel`);
  expect(canceled.status).toBe(200);
  const final = await finished(created.json.id);
  expect(final.status).toBe('canceled');
  expect(final.output.length).toBeGreaterThanOrEqual(3);
  expect(final.output.length).toBeLessThan(500);
  expect(final.metrics.predict_time).toBeLessThan(10);
  expect(final.metrics.output_token_count).toBeGreaterThanOrEqual(3);
  expect(final.cost.quantity).toBe(final.metrics.output_token_count);
  const seen = await waitFor(() => slow.seen(), (s) => s.aborted === 1, 5000);
  expect(seen.aborted).toBe(1);
}, 60_000);

test('a server that reports no usage: output tokens are counted from chunks, and the logs say so', async () => {
  const noUsage = await startFake(['--mode', 'no-usage', '--delay-ms', '5']);
  const v = await openaiVersion({ url: noUsage.url, model: 'fake-llm' }, { pricing: [{ rule: 'per_output_token', unit_price_usd: 0.001 }] });
  const res = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'one two three' } }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('succeeded');
  expect(res.json.output).toEqual(['You', ' said:', ' one', ' two', ' three']);
  expect(res.json.metrics.output_token_count).toBe(5);
  expect(res.json.metrics.input_token_count).toBeUndefined();
  expect(res.json.logs).toContain('no token usage');
  expect(res.json.cost).toEqual(expect.objectContaining({ rule: 'per_output_token', quantity: 5, total_usd: 0.005 }));
});

test.each([
  ['error', /answered 500: CUDA error: an illegal memory access/, []],
  ['midstream-error', /failed during generation: the engine ran out of KV cache blocks/, ['You', ' said:']],
  ['malformed', /malformed stream event \(not JSON\)/, ['You', ' said:']],
  ['drop', /broke mid-stream: terminated \(other side closed\)/, ['You', ' said:']],
  ['cut', /the stream ended before the completion finished \(no finish_reason, no \[DONE\]\)/, ['You', ' said:']],
])('a server failure (%s) fails the prediction with a clear error', async (mode, message, partial) => {
  const broken = await startFake(['--mode', mode, '--delay-ms', '5']);
  const v = await openaiVersion({ url: broken.url, model: 'fake-llm' });
  const res = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'hello world' } }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('failed');
  expect(res.json.error).toMatch(message);
  expect(res.json.output ?? []).toEqual(partial);
});

test('a model name the server does not serve fails with the server’s own message', async () => {
  const v = await openaiVersion({ url: plain.url, model: 'not-served' });
  const res = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'hi' } }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('failed');
  expect(res.json.error).toBe('the OpenAI-compatible server answered 404: The model `not-served` does not exist.');
});

test('an api_key is sent as a bearer token and redacted on the version; a refused key fails setup at once', async () => {
  const locked = await startFake(['--api-key', 'sk-local-123', '--delay-ms', '5']);
  const v = await openaiVersion({ url: locked.url, model: 'fake-llm', api_key: 'sk-local-123' });
  expect(v.json.runner).toEqual({ type: 'openai', url: locked.url, model: 'fake-llm', api_key: '[redacted]' });
  const ok = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'let me in' } }, { prefer: 'wait=30' });
  expect(ok.json.output).toEqual(['You', ' said:', ' let', ' me', ' in']);
  const wrong = await openaiVersion({ url: locked.url, model: 'fake-llm', api_key: 'sk-wrong' });
  const started = Date.now();
  const refused = await call('POST', '/v1/predictions', { version: wrong.json.id, input: { prompt: 'hi' } }, { prefer: 'wait=30' });
  expect(refused.json.status).toBe('failed');
  expect(refused.json.error).toContain("the OpenAI-compatible server answered 401: Incorrect API key provided. (check the runner's api_key)");
  expect(Date.now() - started).toBeLessThan(5000);
});

test('a URL where nothing answers fails setup with the reason instead of waiting the full setup time', async () => {
  // A port that was free a moment ago: nothing listens there.
  const closed = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
  const v = await openaiVersion({ url: `http://127.0.0.1:${closed}`, model: 'fake-llm' });
  const started = Date.now();
  const res = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'hi' } }, { prefer: 'wait=40' });
  const final = TERMINAL.includes(res.json.status) ? res.json : await finished(res.json.id);
  expect(final.status).toBe('failed');
  expect(final.error).toContain(`nothing answered at http://127.0.0.1:${closed}/v1/models for 15s (ECONNREFUSED)`);
  expect(Date.now() - started).toBeLessThan(35_000);
}, 60_000);

test('bad specs and bad inputs are 422 naming the field', async () => {
  const noModel = await openaiVersion({ url: plain.url });
  expect(noModel.status).toBe(422);
  expect(noModel.json.errors.map((e: { pointer: string }) => e.pointer)).toContain('/runner/model');
  const nowhere = await openaiVersion({ model: 'fake-llm' });
  expect(nowhere.status).toBe(422);
  expect(nowhere.json.errors).toEqual([{ pointer: '/runner/url', detail: expect.stringMatching(/needs a url .* or a command/) }]);
  const both = await openaiVersion({ model: 'fake-llm', url: plain.url, command: 'true' });
  expect(both.status).toBe(422);
  expect(both.json.errors[0].pointer).toBe('/runner/command');

  const v = await openaiVersion({ url: plain.url, model: 'fake-llm' });
  const tooHot = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'hi', temperature: 5 } });
  expect(tooHot.status).toBe(422);
  expect(tooHot.json.errors).toEqual([expect.objectContaining({ pointer: '/input/temperature' })]);
  const notNumber = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'hi', temperature: 'hot' } });
  expect(notNumber.status).toBe(422);
  expect(notNumber.json.errors[0].pointer).toBe('/input/temperature');
  const noPrompt = await call('POST', '/v1/predictions', { version: v.json.id, input: { temperature: 0.5 } });
  expect(noPrompt.status).toBe(422);
  expect(noPrompt.json.errors).toEqual([{ pointer: '/input/prompt', detail: 'is required' }]);
  const misspelt = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'hi', temprature: 0.5 } });
  expect(misspelt.status).toBe(422);
  expect(misspelt.json.errors[0].pointer).toBe('/input/temprature');
});

test('a server started from a command: placeholders, setup wait, and the process group stops with the engine', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-openai-'));
  const state = join(dir, 'state.json');
  // `& wait` keeps the shell as the server's parent, so only a process-group kill stops the server.
  const command = `node ${FAKE} --port {port} --model {model} --setup-ms 800 --delay-ms 5 --state-file ${state} & wait`;
  const v = await openaiVersion({ command, model: 'served-on-gpu' }, { hardware: 'gpu-t4', pricing: [{ rule: 'per_output_token', unit_price_usd: 0.0001 }] });
  expect(v.status).toBe(201);
  const res = await call('POST', '/v1/predictions', { version: v.json.id, input: { prompt: 'on the gpu' } }, { prefer: 'wait=30' });
  expect(res.json.status).toBe('succeeded');
  expect(res.json.output).toEqual(['You', ' said:', ' on', ' the', ' gpu']);
  expect(res.json.metrics.cold_start).toBe(true);
  expect(res.json.metrics.setup_time).toBeGreaterThanOrEqual(0.8);
  expect(res.json.cost).toEqual(expect.objectContaining({ rule: 'per_output_token', quantity: 5 }));
  const server = JSON.parse(readFileSync(state, 'utf8')) as { pid: number; model: string; cuda_visible_devices: string };
  expect(server.model).toBe('served-on-gpu');
  expect(server.cuda_visible_devices).toBe('0');
  // A process that exited but was not reaped yet (a zombie, state Z) counts as gone.
  const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  expect(alive(server.pid)).toBe(true);
  await engine.stop();
  const gone = await waitFor(async () => !alive(server.pid), (g) => g, 15_000);
  expect(gone).toBe(true);
  expect(existsSync(state)).toBe(true);
}, 90_000);
