/**
 * Webhook delivery through a real engine: retries until a receiver that was down comes back
 * (same webhook-id on every attempt), across an engine crash, and persistent subscriptions.
 */
import { api, startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from '../conformance/wire/checked-client';
import { startReceiver, type Receiver } from '../helpers/receiver';

let engine: EngineHandle;
let call: ReturnType<typeof api>;
let client: CheckedClient;

beforeAll(async () => {
  engine = await startEngine({ env: { GANTRY_WEBHOOK_RETRY_BASE_MS: '200' } });
  // Every request and answer of this file is held to the engine's /openapi.json.
  client = checkedClient(engine, { replicate: false });
  call = client.call;
}, 90_000);

afterAll(async () => engine?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitStatus(id: string, statuses = ['succeeded', 'failed', 'canceled', 'aborted']) {
  for (;;) {
    const { json } = await call('GET', `/v1/predictions/${id}`);
    if (statuses.includes(json.status)) return json;
    await sleep(50);
  }
}

test('a receiver that answers 500 and then is down gets the final event once it is back, with the same webhook-id', async () => {
  const receiver = await startReceiver();
  receiver.status = 500;
  const { json: p } = await call('POST', '/v1/models/gantry/echo/predictions', {
    input: { text: 'retry me' },
    webhook: `${receiver.url}/hook`,
    webhook_events_filter: ['completed'],
  });
  const first = await receiver.waitFor((d) => d.json?.id === p.id);
  await receiver.close(); // now it is down: connection refused
  await sleep(1500);
  receiver.status = 204;
  await receiver.start();
  const again = await receiver.waitFor((d) => d.json?.id === p.id && d !== first, 30_000);
  expect(again.json.status).toBe('succeeded');
  expect(again.json.output).toBe('retry me');
  expect(again.headers['webhook-id']).toBe(first.headers['webhook-id']);
  await receiver.close();
});

test('a pending final webhook survives an engine crash', async () => {
  const receiver = await startReceiver();
  const port = receiver.port;
  await receiver.close();
  const { json: p } = await call('POST', '/v1/models/gantry/echo/predictions', {
    input: { text: 'after the crash' },
    webhook: `http://127.0.0.1:${port}/hook`,
    webhook_events_filter: ['completed'],
  });
  await waitStatus(p.id);
  await sleep(300); // at least one failed attempt
  await engine.kill();
  const back = await startReceiver(port);
  await engine.restart();
  const d = await back.waitFor((x) => x.json?.id === p.id, 30_000);
  expect(d.json.status).toBe('succeeded');
  expect(d.json.output).toBe('after the crash');
  await back.close();
});

test('a subscription on gantry/echo receives the completed events of its predictions only', async () => {
  const receiver = await startReceiver();
  const created = await call('POST', '/v1/webhooks', { url: `${receiver.url}/sub`, events: ['completed'], model: 'gantry/echo' });
  expect(created.status).toBe(201);
  expect(created.json).toEqual(expect.objectContaining({ url: `${receiver.url}/sub`, events: ['completed'], model: 'gantry/echo', deployment: null }));
  const sub = created.json;
  expect((await call('GET', `/v1/webhooks/${sub.id}`)).json.id).toBe(sub.id);
  expect((await call('GET', '/v1/webhooks')).json.results.map((s: { id: string }) => s.id)).toContain(sub.id);

  const { json: echo } = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'watched' } });
  const { json: other } = await call('POST', '/v1/models/gantry/text-classifier/predictions', { input: { text: 'not watched' } });
  const d = await receiver.waitFor((x) => x.json?.id === echo.id);
  expect(d.json.status).toBe('succeeded');
  expect(d.json.output).toBe('watched');
  await waitStatus(other.id);
  await sleep(500);
  expect(receiver.deliveries.filter((x) => x.json?.id === other.id)).toHaveLength(0);
  // Exactly one delivery: a subscription on `completed` gets no start/output events.
  expect(receiver.deliveries.filter((x) => x.json?.id === echo.id)).toHaveLength(1);

  expect((await call('DELETE', `/v1/webhooks/${sub.id}`)).status).toBe(204);
  expect((await call('DELETE', `/v1/webhooks/${sub.id}`)).status).toBe(404);
  const { json: after } = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'unwatched' } });
  await waitStatus(after.id);
  await sleep(500);
  expect(receiver.deliveries.filter((x) => x.json?.id === after.id)).toHaveLength(0);
  await receiver.close();
});

test('subscription input errors are 422s naming the field', async () => {
  const bad = async (body: unknown, pointer: string) => {
    const res = await call('POST', '/v1/webhooks', body);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.json.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  };
  await bad({ events: ['completed'] }, '/url');
  await bad({ url: 'ftp://x.example/hook' }, '/url');
  await bad({ url: 'http://127.0.0.1:9/h', events: ['finished'] }, '/events');
  await bad({ url: 'http://127.0.0.1:9/h', events: [] }, '/events');
  await bad({ url: 'http://127.0.0.1:9/h', model: 'nobody/nothing' }, '/model');
  await bad({ url: 'http://127.0.0.1:9/h', model: 'not a model' }, '/model');
  await bad({ url: 'http://127.0.0.1:9/h', colour: 'blue' }, '/colour');
});

test('every request and answer of this file matches /openapi.json', () => expectConformant(client));
