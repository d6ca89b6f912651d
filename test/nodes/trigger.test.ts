import { createHmac } from 'node:crypto';
import { N8nHarness, modelRef, setup, single, teardown, type Env } from './harness/setup';

let env: Env;
beforeAll(async () => {
  env = await setup();
}, 120000);
afterAll(async () => teardown(env));

const trigger = (parameters: Record<string, unknown>) =>
  single('gantryTrigger', { events: ['completed'], scope: 'model', model: modelRef('gantry/echo'), statuses: ['succeeded'], ...parameters }, 'Gantry Trigger');

const webhookRuns = () => [...env.n8n.executions.values()].filter((e) => e.workflow.getNode('Gantry Trigger') && e.status === 'success');

describe('Gantry Trigger', () => {
  test('activation subscribes; signed deliveries start the workflow, filtered by status; deactivation unsubscribes', async () => {
    const active = await env.n8n.activate(trigger({}), 'Gantry Trigger');
    const subscriptions = (await env.api('GET', '/v1/webhooks')).json.results;
    expect(subscriptions).toEqual([expect.objectContaining({ url: active.webhookUrl, events: ['completed'], model: 'gantry/echo' })]);
    expect(await env.n8n.triggerExists(active, 'Gantry Trigger')).toBe(true);

    const ok = await env.api('POST', '/v1/predictions', { version: 'gantry/echo', input: { text: 'deliver me' } }, { Prefer: 'wait' });
    await env.api('POST', '/v1/predictions', { version: 'gantry/echo', input: { fail: true } }, { Prefer: 'wait' });
    const runs = await N8nHarness.until(() => (webhookRuns().length >= 1 ? webhookRuns() : null));
    const [item] = N8nHarness.output(runs[0].result, 'Gantry Trigger');
    expect(item.json).toEqual(expect.objectContaining({ id: ok.json.id, status: 'succeeded', output: 'deliver me', webhookId: expect.any(String) }));
    // The failed prediction was delivered too (signature fine) but filtered out by status.
    await N8nHarness.until(() => env.n8n.calls.filter((c) => c.path.startsWith('/webhook/') && (c.body as any)?.ignored).length >= 1);
    expect(webhookRuns()).toHaveLength(1);

    await active.deactivate();
    expect((await env.api('GET', '/v1/webhooks')).json.results).toEqual([]);
  });

  test('rejects a bad signature with 401 and a good one with 200', async () => {
    const active = await env.n8n.activate(trigger({ statuses: [] }), 'Gantry Trigger');
    try {
      const secret = (await env.api('GET', '/v1/webhooks/default/secret')).json.key as string;
      const body = JSON.stringify({ id: 'p1', status: 'succeeded', model: 'gantry/echo', output: 'x' });
      const ts = String(Math.floor(Date.now() / 1000));
      const sign = (key: string) => `v1,${createHmac('sha256', Buffer.from(key.split('_')[1], 'base64')).update(`msg_1.${ts}.${body}`).digest('base64')}`;
      const post = (signature: string, timestamp = ts) =>
        fetch(active.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1', 'webhook-timestamp': timestamp, 'webhook-signature': signature },
          body,
        });
      const bad = await post(sign('whsec_' + Buffer.from('not the secret').toString('base64')));
      expect(bad.status).toBe(401);
      expect((await bad.json()).error).toMatch(/Invalid webhook signature/);
      const stale = await post(sign(secret), String(Number(ts) - 3600));
      expect(stale.status).toBe(401);
      const good = await post(`v1,bogus ${sign(secret)}`);
      expect(good.status).toBe(200);
    } finally {
      await active.deactivate();
    }
  });
});
