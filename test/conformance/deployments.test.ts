/** The official `replicate` client's deployment calls against a real engine. */
import type Replicate from 'replicate';
import { startEngine, type EngineHandle } from '../helpers/engine';
import { checkedClient, expectConformant, type CheckedClient } from './wire/checked-client';

let engine: EngineHandle;
let replicate: Replicate;
let client: CheckedClient;
let echo: string;

beforeAll(async () => {
  engine = await startEngine();
  client = checkedClient(engine);
  replicate = client.replicate;
  echo = (await replicate.models.get('gantry', 'echo')).latest_version!.id;
}, 90_000);
afterAll(async () => engine?.stop());

test('create, get, list, update, paginate and delete', async () => {
  const created = await replicate.deployments.create({ name: 'client-dep', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 2 });
  expect(created.owner).toBe('gantry');
  expect(created.name).toBe('client-dep');
  expect(created.current_release).toEqual(expect.objectContaining({ number: 1, model: 'gantry/echo', version: echo }));
  expect(created.current_release.configuration).toEqual({ hardware: 'cpu', min_instances: 0, max_instances: 2 });

  const got = await replicate.deployments.get('gantry', 'client-dep');
  expect(got.current_release.number).toBe(1);

  const updated = await replicate.deployments.update('gantry', 'client-dep', { max_instances: 3 });
  expect(updated.current_release.number).toBe(2);
  expect(updated.current_release.configuration.max_instances).toBe(3);

  const page = await replicate.deployments.list();
  expect(page.results.map((d) => d.name)).toContain('client-dep');
  const names: string[] = [];
  for await (const results of replicate.paginate(() => replicate.deployments.list())) names.push(...results.map((d) => d.name));
  expect(names).toContain('client-dep');

  await expect(replicate.deployments.delete('gantry', 'client-dep')).resolves.toBe(true);
  await expect(replicate.deployments.get('gantry', 'client-dep')).rejects.toThrow(/404/);
});

test('predictions.create through a deployment, blocking and polling', async () => {
  await replicate.deployments.create({ name: 'client-run', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 0, max_instances: 1 });
  const blocked = await replicate.deployments.predictions.create('gantry', 'client-run', { input: { text: 'from the client' }, wait: true });
  expect(blocked.status).toBe('succeeded');
  expect(blocked.output).toBe('from the client');
  expect((blocked as any).deployment).toBe('gantry/client-run');

  const started = await replicate.deployments.predictions.create('gantry', 'client-run', { input: { text: 'polled', sleep: 0.3 } });
  const done = await replicate.wait(started, { interval: 100 });
  expect(done.status).toBe('succeeded');
  expect(done.output).toBe('polled');
});

test('validation and fail-fast errors surface as client errors', async () => {
  await expect(
    replicate.deployments.create({ name: 'bad', model: 'gantry/echo', version: echo, hardware: 'cpu', min_instances: 3, max_instances: 1 }),
  ).rejects.toThrow(/422[\s\S]*min_instances/);
  await replicate.deployments.create({ name: 'no-gpu', model: 'gantry/echo', version: echo, hardware: 'gpu-h100', min_instances: 0, max_instances: 1 });
  await expect(replicate.deployments.predictions.create('gantry', 'no-gpu', { input: { text: 'x' } })).rejects.toThrow(/422[\s\S]*gpu-h100/);
});

test("every answer the engine gave in this file matches Replicate's object schemas", () => expectConformant(client));
