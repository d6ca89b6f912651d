/**
 * Trainings over real HTTP: bad datasets fail with an error naming the line, request errors are
 * 4xx naming the field, and a training's webhook carries the new version.
 */
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { startReceiver } from '../helpers/receiver';

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let base: string;
let echo: string;

beforeAll(async () => {
  engine = await startEngine();
  call = api(engine);
  base = (await call('GET', '/v1/models/gantry/text-classifier')).json.latest_version.id;
  echo = (await call('GET', '/v1/models/gantry/echo')).json.latest_version.id;
  expect((await call('POST', '/v1/models', { owner: 'me', name: 'clf', visibility: 'private', hardware: 'cpu' })).status).toBe(201);
}, 90_000);

afterAll(async () => engine?.stop());

const jsonl = (text: string) => `data:application/jsonl;base64,${Buffer.from(text).toString('base64')}`;
const train = (body: unknown, version = base, model = 'gantry/text-classifier') => call('POST', `/v1/models/${model}/versions/${version}/trainings`, body);

async function waitDone(id: string) {
  for (;;) {
    const { json } = await call('GET', `/v1/trainings/${id}`);
    if (['succeeded', 'failed', 'canceled', 'aborted'].includes(json.status)) return json;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a malformed dataset fails the training with an error naming the line', async () => {
  const data = '{"text":"good","label":"a"}\n{"text":"bad","label":"b"}\n{"text": oops}\n';
  const { status, json } = await train({ destination: 'me/clf', input: { train_data: jsonl(data) } });
  expect(status).toBe(201);
  const done = await waitDone(json.id);
  expect(done.status).toBe('failed');
  expect(done.error).toMatch(/line 3: malformed JSON/);
  expect((await call('GET', '/v1/models/me/clf')).json.latest_version).toBeNull();
});

test('one label only, or an empty file, fails clearly', async () => {
  const one = await train({ destination: 'me/clf', input: { train_data: jsonl('{"text":"x","label":"a"}\n{"text":"y","label":"a"}\n') } });
  expect((await waitDone(one.json.id)).error).toMatch(/only one distinct label/);
  const empty = await train({ destination: 'me/clf', input: { train_data: jsonl('\n\n') } });
  expect((await waitDone(empty.json.id)).error).toMatch(/is empty/);
});

test('request errors name the field', async () => {
  const expectError = async (res: { status: number; json: any }, status: number, pointer?: string) => {
    expect(res.status).toBe(status);
    if (pointer) expect(res.json.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  };
  await expectError(await train({ input: { train_data: jsonl('x') } }), 422, '/destination');
  await expectError(await train({ destination: 'me/nothing-here', input: { train_data: jsonl('x') } }), 422, '/destination');
  await expectError(await train({ destination: 'not a model', input: { train_data: jsonl('x') } }), 422, '/destination');
  await expectError(await train({ destination: 'me/clf', input: {} }), 422, '/input/train_data');
  await expectError(await train({ destination: 'me/clf', input: { train_data: jsonl('x'), epochs: 0 } }), 422, '/input/epochs');
  await expectError(await train({ destination: 'me/clf', input: { train_data: jsonl('x') } }, echo, 'gantry/echo'), 422, '/version');
  await expectError(await train({ destination: 'me/clf', input: { train_data: jsonl('x') } }, 'f'.repeat(64)), 404);
  expect((await call('GET', '/v1/trainings/doesnotexist')).status).toBe(404);
  // A prediction id is not a training.
  const { json: p } = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'x' } });
  expect((await call('GET', `/v1/trainings/${p.id}`)).status).toBe(404);
});

test("a training's completed webhook carries the new version", async () => {
  const receiver = await startReceiver();
  const data = ['cats purr', 'cats meow softly', 'kittens nap', 'dogs bark', 'dogs fetch balls', 'puppies chew']
    .map((t) => JSON.stringify({ text: t, label: /cat|kitten/.test(t) ? 'cat' : 'dog' }))
    .join('\n');
  const { json } = await train({
    destination: 'me/clf',
    input: { train_data: jsonl(data), holdout_fraction: 0 },
    webhook: `${receiver.url}/trained`,
    webhook_events_filter: ['completed'],
  });
  const d = await receiver.waitFor((x) => x.json?.id === json.id, 30_000);
  expect(d.json.status).toBe('succeeded');
  // Replicate's shape, which the Python client parses: `owner/name:<version id>`.
  expect(d.json.output.version).toMatch(/^me\/clf:[0-9a-f]{64}$/);
  expect(d.json.urls.get).toBe(`${engine.url}/v1/trainings/${json.id}`);
  const run = await call('POST', `/v1/predictions`, { version: d.json.output.version, input: { text: 'cats purr' } }, { prefer: 'wait=30' });
  expect(run.json.output.label).toBe('cat');
  await receiver.close();
});
