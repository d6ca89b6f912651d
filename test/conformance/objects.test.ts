/**
 * The wire audit: every kind of object the engine returns, in the states and from the runners
 * that make it differ, read through the official client (and the suite's own calls) with every
 * answer validated against Replicate's object schemas (wire/replicate-schemas.ts). The other
 * conformance files are checked the same way; this one makes sure every kind is covered at least
 * once, including versions of every runner (a node predictor, a Cog server, an OpenAI-compatible
 * server) and predictions that failed, were canceled or aborted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startEngine, type EngineHandle } from '../helpers/engine';
import { ANSWER_KINDS, checkedClient, expectConformant, type CheckedClient } from './wire/checked-client';

const FAKE_COG = join(__dirname, '..', 'fixtures', 'fake-cog.js');
const FAKE_OPENAI = join(__dirname, '..', 'fixtures', 'fake-openai.js');

let engine: EngineHandle;
let client: CheckedClient;
let openai: ChildProcess;
let openaiUrl: string;

beforeAll(async () => {
  engine = await startEngine();
  client = checkedClient(engine);
  openai = spawn(process.execPath, [FAKE_OPENAI, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  openaiUrl = await new Promise<string>((resolve) => {
    let out = '';
    openai.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
  });
}, 90_000);
afterAll(async () => {
  openai?.kill();
  await engine?.stop();
});

const terminal = (s: string) => ['succeeded', 'failed', 'canceled', 'aborted'].includes(s);
async function settle(id: string, path = 'predictions') {
  for (let i = 0; i < 400; i++) {
    const { json } = await client.call('GET', `/v1/${path}/${id}`);
    if (terminal(json.status)) return json;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} did not finish`);
}

test('versions of every runner carry a string cog_version', async () => {
  const { replicate, call } = client;
  await replicate.models.create('gantry', 'wire-cog', { visibility: 'private', hardware: 'cpu' });
  await replicate.models.create('gantry', 'wire-llm', { visibility: 'private', hardware: 'cpu' });
  const cog = await call('POST', '/v1/models/gantry/wire-cog/versions', { runner: { type: 'cog', command: `node ${FAKE_COG} --port {port} --setup-ms 50`, mode: 'sync' } });
  expect(cog.status).toBe(201);
  const llm = await call('POST', '/v1/models/gantry/wire-llm/versions', { runner: { type: 'openai', url: openaiUrl, model: 'fake-llm' } });
  expect(llm.status).toBe(201);

  const node = await replicate.models.get('gantry', 'echo');
  expect(node.latest_version!.cog_version).toBe('gantry-node');
  // The fake Cog server names its release in its discovery document, as coglet does.
  expect((await replicate.models.versions.get('gantry', 'wire-cog', cog.json.id)).cog_version).toBe('0.17.0');
  expect((await replicate.models.versions.get('gantry', 'wire-llm', llm.json.id)).cog_version).toBe('gantry-openai');
  for (const model of ['wire-cog', 'wire-llm', 'echo']) await replicate.models.versions.list('gantry', model);
  expect((await replicate.run(`gantry/wire-cog:${cog.json.id}`, { input: { text: 'wire' } }) as { text: string }).text).toBe('WIRE');
  await replicate.models.list();
  await replicate.models.search('echo');
});

test('predictions in every state: succeeded, failed, canceled, aborted, streaming', async () => {
  const { replicate, call } = client;
  const ok = await replicate.predictions.create({ model: 'gantry/echo', input: { text: 'ok' }, wait: 30 });
  expect(ok.status).toBe('succeeded');
  const failed = await replicate.predictions.create({ model: 'gantry/echo', input: { fail: true } });
  expect((await settle(failed.id)).status).toBe('failed');
  const running = await replicate.predictions.create({ model: 'gantry/echo', input: { text: 'long', sleep: 30 } });
  for (let i = 0; i < 100 && (await replicate.predictions.get(running.id)).status !== 'processing'; i++) await new Promise((r) => setTimeout(r, 100));
  await replicate.predictions.cancel(running.id);
  expect((await settle(running.id)).status).toBe('canceled');
  // Aborted: a deadline that passes while the prediction waits behind another on a deployment of
  // a one-at-a-time echo with one instance (Cancel-After is not in the JS client: the suite's own
  // call sends it).
  await replicate.models.create('gantry', 'wire-serial', { visibility: 'private', hardware: 'cpu' });
  const serial = await call('POST', '/v1/models/gantry/wire-serial/versions', { runner: { type: 'node', module: 'builtin:echo' }, max_concurrency: 1 });
  expect(serial.status).toBe(201);
  await replicate.deployments.create({ name: 'wire-one', model: 'gantry/wire-serial', version: serial.json.id, hardware: 'cpu', min_instances: 0, max_instances: 1 });
  const blocker = await replicate.deployments.predictions.create('gantry', 'wire-one', { input: { text: 'block', sleep: 8 } });
  const doomed = await call('POST', '/v1/deployments/gantry/wire-one/predictions', { input: { text: 'late' } }, { 'cancel-after': '5s' });
  expect(doomed.status).toBe(201);
  expect((await settle(doomed.json.id)).status).toBe('aborted');
  await replicate.predictions.cancel(blocker.id);
  const streamed = await replicate.predictions.create({ model: 'gantry/echo', input: { text: 'a b c', stream_chunks: 3 } });
  expect(streamed.urls.stream).toEqual(expect.any(String));
  await settle(streamed.id);
  await replicate.predictions.list();
});

test('trainings, files, deployments, collections, hardware, account, search, webhook secret, errors', async () => {
  const { replicate, call } = client;
  const data = ['{"text":"cats purr","label":"cat"}', '{"text":"dogs bark","label":"dog"}'].join('\n').repeat(1);
  const file = await replicate.files.create(Buffer.from(`${data}\n${data}\n`), { purpose: 'wire' });
  await replicate.files.get(file.id);
  await replicate.files.list();
  await replicate.models.create('gantry', 'wire-clf', { visibility: 'private', hardware: 'cpu' });
  const base = (await replicate.models.get('gantry', 'text-classifier')).latest_version!.id;
  const training = await replicate.trainings.create('gantry', 'text-classifier', base, { destination: 'gantry/wire-clf', input: { train_data: file.urls.get, epochs: 3, holdout_fraction: 0 } });
  const trained = await settle(training.id, 'trainings');
  expect(trained.status).toBe('succeeded');
  expect((await replicate.trainings.get(training.id)).output.version).toMatch(/^gantry\/wire-clf:[0-9a-f]{64}$/);
  const doomed = await replicate.trainings.create('gantry', 'text-classifier', base, { destination: 'gantry/wire-clf', input: { train_data: file.urls.get, epochs: 1000 } });
  await replicate.trainings.cancel(doomed.id);
  await settle(doomed.id, 'trainings');
  await replicate.trainings.list();
  expect(await replicate.files.delete(file.id)).toBe(true);

  await replicate.deployments.get('gantry', 'wire-one');
  await replicate.deployments.update('gantry', 'wire-one', { max_instances: 2 });
  await replicate.deployments.list();
  await replicate.collections.list();
  await replicate.collections.get('gantry-builtins');
  await replicate.hardware.list();
  await replicate.accounts.current();
  await replicate.webhooks.default.secret.get();
  await call('GET', '/v1/search?query=echo');

  // Errors: 401, 404, 422, each as problem+json.
  await expect(replicate.models.get('gantry', 'no-such-model')).rejects.toThrow(/404/);
  await expect(replicate.predictions.create({ model: 'gantry/echo', input: { text: 42 } })).rejects.toThrow(/422/);
  expect((await call('GET', '/v1/predictions', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
}, 120_000);

test('every kind of answer was seen, and each matched its schema', () => {
  expect([...client.kinds].sort()).toEqual([...ANSWER_KINDS].sort());
  expectConformant(client);
});
