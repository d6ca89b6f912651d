/**
 * Webhooks as the official client sees them: the secret from `webhooks.default.secret.get()`,
 * and signed deliveries that `validateWebhook` accepts.
 */
import Replicate, { validateWebhook } from 'replicate';
import { startEngine, type EngineHandle } from '../helpers/engine';
import { checkAnswer, checkedClient, expectConformant, type CheckedClient } from './wire/checked-client';
import { startReceiver, type Receiver } from '../helpers/receiver';

let engine: EngineHandle;
let replicate: Replicate;
let client: CheckedClient;
let receiver: Receiver;

beforeAll(async () => {
  [engine, receiver] = await Promise.all([startEngine(), startReceiver()]);
  client = checkedClient(engine);
  replicate = client.replicate;
}, 90_000);

afterAll(async () => {
  await receiver?.close();
  await engine?.stop();
});

test('the default secret is a whsec_ key', async () => {
  const { key } = await replicate.webhooks.default.secret.get();
  expect(key).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
  expect((await replicate.webhooks.default.secret.get()).key).toBe(key);
});

test('a prediction with a webhook delivers start, output and completed, signed so validateWebhook accepts them', async () => {
  const { key: secret } = await replicate.webhooks.default.secret.get();
  const prediction = await replicate.predictions.create({
    model: 'gantry/echo',
    input: { text: 'a b c d e f', stream_chunks: 6 },
    webhook: `${receiver.url}/hook?run=1`,
    webhook_events_filter: ['start', 'output', 'completed'],
  });
  const completed = await receiver.waitFor((d) => d.json?.id === prediction.id && d.json?.status === 'succeeded');
  expect(completed.json.output).toHaveLength(6);
  expect(completed.json.output.join('')).toBe('a b c d e f');
  expect(completed.json.urls.get).toBe(`${engine.url}/v1/predictions/${prediction.id}`);
  expect(completed.path).toBe('/hook?run=1');

  const mine = receiver.deliveries.filter((d) => d.json?.id === prediction.id);
  expect(mine[0].json.status).toBe('processing'); // start comes first
  expect(mine[mine.length - 1]).toBe(completed); // completed comes last
  for (const d of mine) {
    // A webhook body is the prediction object, held to the same schema as a GET of it.
    expect(checkAnswer('GET', `/predictions/${prediction.id}`, 200, 'application/json', d.body)).toBeUndefined();
    expect(d.headers['webhook-id']).toMatch(/.+/);
    expect(d.headers['content-type']).toMatch(/application\/json/);
    const ok = await validateWebhook(
      { id: d.headers['webhook-id'] as string, timestamp: d.headers['webhook-timestamp'] as string, signature: d.headers['webhook-signature'] as string, body: d.body, secret },
    );
    expect(ok).toBe(true);
  }
  // Distinct deliveries have distinct ids; a tampered body does not validate.
  expect(new Set(mine.map((d) => d.headers['webhook-id'])).size).toBe(mine.length);
  const tampered = await validateWebhook({
    id: completed.headers['webhook-id'] as string,
    timestamp: completed.headers['webhook-timestamp'] as string,
    signature: completed.headers['webhook-signature'] as string,
    body: completed.body.replace('succeeded', 'failed'),
    secret,
  });
  expect(tampered).toBe(false);
});

test('webhook_events_filter ["completed"] sends only the final event; failures complete too', async () => {
  const prediction = await replicate.predictions.create({
    model: 'gantry/echo',
    input: { text: 'x', fail: true },
    webhook: `${receiver.url}/only-completed`,
    webhook_events_filter: ['completed'],
  });
  const done = await receiver.waitFor((d) => d.json?.id === prediction.id && d.json?.status === 'failed');
  expect(done.json.error).toMatch(/echo asked to fail/);
  await new Promise((r) => setTimeout(r, 700));
  expect(receiver.deliveries.filter((d) => d.json?.id === prediction.id)).toHaveLength(1);
});

test('a canceled prediction sends its completed webhook (the API finishes it)', async () => {
  const prediction = await replicate.predictions.create({
    model: 'gantry/echo',
    input: { text: 'x', sleep: 30 },
    webhook: `${receiver.url}/cancel`,
    webhook_events_filter: ['completed'],
  });
  await replicate.predictions.cancel(prediction.id);
  const done = await receiver.waitFor((d) => d.json?.id === prediction.id);
  expect(done.json.status).toBe('canceled');
});

test('the create endpoint rejects a bad webhook URL and filter, naming the field', async () => {
  await expect(
    replicate.predictions.create({ model: 'gantry/echo', input: {}, webhook: 'ftp://example.com/x' }),
  ).rejects.toThrow(/\/webhook.*http or https/);
  await expect(
    replicate.predictions.create({ model: 'gantry/echo', input: {}, webhook: `${receiver.url}/x`, webhook_events_filter: ['finished' as any] }),
  ).rejects.toThrow(/webhook_events_filter/);
});

test("every answer the engine gave in this file matches Replicate's object schemas", () => expectConformant(client));
