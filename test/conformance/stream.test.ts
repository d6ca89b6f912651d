/**
 * Streaming: `urls.stream` served as server-sent events, read by the official client's
 * `replicate.stream()` (which sends no Authorization header), and by late subscribers.
 */
import type Replicate from 'replicate';
import { startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from './wire/checked-client';

let engine: EngineHandle;
let replicate: Replicate;
let client: CheckedClient;

beforeAll(async () => {
  engine = await startEngine();
  client = checkedClient(engine);
  replicate = client.replicate;
}, 90_000);

afterAll(async () => engine?.stop());

interface Event {
  event: string;
  id: string;
  data: string;
}

/** Reads an SSE response to its end (the engine closes it after `done`). */
async function readEvents(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; events: Event[]; raw: string }> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  const raw = await res.text();
  const events: Event[] = [];
  for (const block of raw.split('\n\n')) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith(':'));
    if (!lines.length) continue;
    const e: Event = { event: 'message', id: '', data: '' };
    const data: string[] = [];
    for (const l of lines) {
      const [field, ...rest] = l.split(':');
      const value = rest.join(':').replace(/^ /, '');
      if (field === 'event') e.event = value;
      else if (field === 'id') e.id = value;
      else if (field === 'data') data.push(value);
    }
    e.data = data.join('\n');
    events.push(e);
  }
  return { status: res.status, type: res.headers.get('content-type'), events, raw };
}

async function waitDone(id: string) {
  const call = client.call;
  for (;;) {
    const { json } = await call('GET', `/v1/predictions/${id}`);
    if (['succeeded', 'failed', 'canceled', 'aborted'].includes(json.status)) return json;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('replicate.stream yields every output chunk, then done', async () => {
  const events: Array<{ event: string; data: string; id: string }> = [];
  for await (const e of replicate.stream('gantry/echo', { input: { text: 'a b c d', stream_chunks: 4 } })) {
    events.push({ event: e.event, data: e.data, id: e.id });
  }
  const outputs = events.filter((e) => e.event === 'output');
  expect(outputs.map((e) => e.data)).toEqual(['a', ' b', ' c', ' d']);
  expect(outputs.map((e) => e.data).join('')).toBe('a b c d');
  expect(events[events.length - 1]).toEqual(expect.objectContaining({ event: 'done', data: '{}' }));
  for (const e of events) expect(e.id).toBeTruthy();
});

test('a late subscriber gets the whole output, with text/event-stream and ids', async () => {
  const p = await replicate.predictions.create({ model: 'gantry/echo', input: { text: 'late but complete', stream_chunks: 3 } });
  expect(p.urls.stream).toMatch(new RegExp(`^${engine.url}/v1/streams/${p.id}/`));
  await waitDone(p.id);
  const { status, type, events } = await readEvents(p.urls.stream!);
  expect(status).toBe(200);
  expect(type).toMatch(/^text\/event-stream/);
  expect(events.filter((e) => e.event === 'output').map((e) => e.data).join('')).toBe('late but complete');
  expect(events[events.length - 1]).toEqual(expect.objectContaining({ event: 'done', data: '{}' }));
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
});

test('a subscriber joining mid-stream gets what was emitted before and the rest as it comes', async () => {
  const text = Array.from({ length: 60 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
  const p = await replicate.predictions.create({ model: 'gantry/echo', input: { text, stream_chunks: 60 } });
  // Join once some output exists (60 chunks, 10 ms apart: ~0.6 s in total).
  for (;;) {
    const { json } = await client.call('GET', `/v1/predictions/${p.id}`);
    if (Array.isArray(json.output) && json.output.length > 0) {
      expect(json.status).toBe('processing');
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const { events } = await readEvents(p.urls.stream!);
  const outputs = events.filter((e) => e.event === 'output').map((e) => e.data);
  expect(outputs).toHaveLength(60);
  expect(outputs.join('')).toBe(text);
  expect(events[events.length - 1].event).toBe('done');
});

test('Last-Event-ID resumes after the last event seen', async () => {
  const p = await replicate.predictions.create({ model: 'gantry/echo', input: { text: 'one two three four', stream_chunks: 4 } });
  await waitDone(p.id);
  const all = (await readEvents(p.urls.stream!)).events.filter((e) => e.event === 'output');
  const resumed = await readEvents(p.urls.stream!, { 'last-event-id': all[1].id });
  expect(resumed.events.filter((e) => e.event === 'output').map((e) => e.data)).toEqual(all.slice(2).map((e) => e.data));
});

test('multi-line output is sent as several data lines and read back whole', async () => {
  const events: string[] = [];
  for await (const e of replicate.stream('gantry/echo', { input: { text: 'line one\nline two\n\nline four', stream_chunks: 1 } })) {
    if (e.event === 'output') events.push(e.data);
  }
  expect(events).toEqual(['line one\nline two\n\nline four']);
});

test('a failing prediction streams error, then done with reason error', async () => {
  const p = await replicate.predictions.create({ model: 'gantry/echo', input: { text: 'x', fail: true, stream_chunks: 2 } });
  const { events } = await readEvents(p.urls.stream!);
  expect(events.find((e) => e.event === 'error')?.data).toMatch(/echo asked to fail/);
  expect(events[events.length - 1]).toEqual(expect.objectContaining({ event: 'done', data: '{"reason":"error"}' }));
  // The official client throws on the error event.
  await expect(async () => {
    for await (const _ of replicate.stream('gantry/echo', { input: { text: 'x', fail: true } })) void _;
  }).rejects.toThrow(/echo asked to fail/);
});

test('a canceled prediction ends its stream with done reason canceled', async () => {
  const p = await replicate.predictions.create({ model: 'gantry/echo', input: { text: 'x', sleep: 20 } });
  const reading = readEvents(p.urls.stream!);
  await new Promise((r) => setTimeout(r, 300));
  await replicate.predictions.cancel(p.id);
  const { events } = await reading;
  expect(events[events.length - 1]).toEqual(expect.objectContaining({ event: 'done', data: '{"reason":"canceled"}' }));
});

test('a wrong key is 404, and the stream needs no token', async () => {
  const p = await replicate.predictions.create({ model: 'gantry/echo', input: { text: 'k', stream_chunks: 1 } });
  const bad = await fetch(`${engine.url}/v1/streams/${p.id}/not-the-key`, { headers: { accept: 'text/event-stream' } });
  expect(bad.status).toBe(404);
  const unknown = await fetch(`${engine.url}/v1/streams/nope/${p.urls.stream!.split('/').pop()}`, { headers: { accept: 'text/event-stream' } });
  expect(unknown.status).toBe(404);
  const good = await readEvents(p.urls.stream!);
  expect(good.status).toBe(200);
});

test("every answer the engine gave in this file matches Replicate's object schemas", () => expectConformant(client));
