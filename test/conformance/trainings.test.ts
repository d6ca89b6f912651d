/**
 * Fine-tuning with the official client: upload a JSONL dataset (files.create), trainings.create
 * on gantry/text-classifier into me/support-classifier, trainings.get until it succeeds, then run
 * the new version and see the new labels.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Replicate from 'replicate';
import { startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from './wire/checked-client';

let engine: EngineHandle;
let replicate: Replicate;
let client: CheckedClient;
const DATASET = join(__dirname, '..', 'engine', 'models', 'fixtures', 'support-tickets.jsonl');

beforeAll(async () => {
  engine = await startEngine();
  client = checkedClient(engine);
  replicate = client.replicate;
}, 90_000);

afterAll(async () => engine?.stop());

test('train gantry/text-classifier into me/support-classifier and run the new version', async () => {
  await replicate.models.create('me', 'support-classifier', { visibility: 'private', hardware: 'cpu' });
  const file = (await replicate.files.create(new File([readFileSync(DATASET)], 'support.jsonl', { type: 'application/jsonl' }))) as any;
  const base = await replicate.models.get('gantry', 'text-classifier');

  const training = await replicate.trainings.create('gantry', 'text-classifier', base.latest_version!.id, {
    destination: 'me/support-classifier',
    input: { train_data: file.urls.get, epochs: 30 },
  });
  expect(training.status).toBe('starting');
  expect(training.urls.get).toBe(`${engine.url}/v1/trainings/${training.id}`);
  expect(training.model).toBe('gantry/text-classifier');

  let current = training;
  const started = Date.now();
  while (!['succeeded', 'failed', 'canceled'].includes(current.status) && Date.now() - started < 60_000) {
    await new Promise((r) => setTimeout(r, 200));
    current = await replicate.trainings.get(training.id);
  }
  expect(current.error).toBeNull();
  expect(current.status).toBe('succeeded');
  const output = current.output as any;
  // Replicate's shape (the Python client parses it): `owner/name:<version id>`.
  expect(output.version).toMatch(/^me\/support-classifier:[0-9a-f]{64}$/);
  const trainedId = output.version.split(':')[1];
  expect(trainedId).not.toBe(base.latest_version!.id);
  expect(typeof output.weights).toBe('string');
  expect(output.metrics.labels.sort()).toEqual(['billing', 'shipping', 'technical']);
  expect(output.metrics.holdout_accuracy).toBeGreaterThanOrEqual(0.7);
  expect(current.logs).toMatch(/epoch 30\/30/);
  expect((current as any).metrics.predict_time).toBeGreaterThan(0);
  expect((current as any).cost).toEqual(expect.objectContaining({ rule: 'hardware_time', hardware: 'cpu' }));

  // The destination has the new version as its latest.
  const dest = await replicate.models.get('me', 'support-classifier');
  expect(dest.latest_version!.id).toBe(trainedId);

  const pinned = (await replicate.run(output.version, { input: { text: 'I was charged twice for my subscription.' } })) as any;
  expect(pinned.label).toBe('billing');
  expect(Object.keys(pinned.scores).sort()).toEqual(['billing', 'shipping', 'technical']);
  const latest = (await replicate.run('me/support-classifier', { input: { text: 'My package has not arrived yet, where is my delivery?' } })) as any;
  expect(latest.label).toBe('shipping');
  // The base model still speaks sentiment.
  const baseOut = (await replicate.run('gantry/text-classifier', { input: { text: 'I love it, wonderful!' } })) as any;
  expect(['positive', 'negative']).toContain(baseOut.label);

  const listed = (await replicate.trainings.list()) as any;
  expect(listed.results.map((t: { id: string }) => t.id)).toContain(training.id);
});

test('trainings.cancel stops a running training', async () => {
  await replicate.models.create('me', 'long-training', { visibility: 'private', hardware: 'cpu' });
  const base = await replicate.models.get('gantry', 'text-classifier');
  // The dataset 50 times over (6,000 examples) at the most epochs there are: long enough that the
  // cancel reaches it while it runs, however slow the machine is at answering.
  const data = `data:application/jsonl;base64,${Buffer.from(readFileSync(DATASET, 'utf8').repeat(50)).toString('base64')}`;
  const training = await replicate.trainings.create('gantry', 'text-classifier', base.latest_version!.id, {
    destination: 'me/long-training',
    input: { train_data: data, epochs: 1000 },
  });
  let current = training;
  while (current.status === 'starting') {
    await new Promise((r) => setTimeout(r, 50));
    current = await replicate.trainings.get(training.id);
  }
  expect(current.status).toBe('processing');
  const canceled = await replicate.trainings.cancel(training.id);
  expect(canceled.status).toBe('canceled');
  const dest = await replicate.models.get('me', 'long-training');
  expect(dest.latest_version).toBeNull();
});

test("every answer the engine gave in this file matches Replicate's object schemas", () => expectConformant(client));
