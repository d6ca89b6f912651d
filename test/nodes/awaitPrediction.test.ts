import { N8nHarness, PKG, modelRef, setup, teardown, type Env } from './harness/setup';
import type { WorkflowDef } from './harness/n8n';

let env: Env;
beforeAll(async () => {
  env = await setup();
}, 120000);
afterAll(async () => teardown(env));

/** Run Model (start only, registers the resume URL) → Await Prediction. */
function startThenAwait(inputJson: string, awaitParams: Record<string, unknown> = {}): WorkflowDef {
  return {
    nodes: [
      {
        name: 'Start',
        type: `${PKG}.gantryRunModel`,
        parameters: { operation: 'run', source: 'model', model: modelRef('gantry/echo'), version: '', inputMode: 'json', inputJson, mode: 'start', resumeAwait: true } as never,
      },
      { name: 'Await', type: `${PKG}.gantryAwaitPrediction`, parameters: { predictionIds: '={{ $json.id }}', waitMode: 'webhook', timeout: 600, ...awaitParams } as never },
    ],
    connections: { Start: { main: [[{ node: 'Await', type: 'main' as never, index: 0 }]] } },
  };
}

const awaited = (run: any) => N8nHarness.output(run, 'Await');

describe('Await Prediction', () => {
  test('webhook mode: waits, ignores the first completion, resumes when every prediction is final', async () => {
    const exec = await env.n8n.run(
      startThenAwait('={{ JSON.stringify({ text: $json.t, sleep: $json.s }) }}'),
      'Start',
      [{ json: { t: 'one', s: 1 } }, { json: { t: 'two', s: 2.5 } }],
    );
    expect(exec.status).toBe('waiting');
    const started = N8nHarness.output(exec.result, 'Start');
    expect(started.map((i) => i.json.webhook)).toEqual([
      `${env.n8n.baseUrl}/webhook-waiting/${exec.id}`,
      `${env.n8n.baseUrl}/webhook-waiting/${exec.id}`,
    ]);
    const run = await exec.done;
    expect(run.status).toBe('success');
    const items = awaited(run);
    expect(items.map((i) => [i.json.output, i.json.awaitStatus, i.pairedItem])).toEqual([
      ['one', 'completed', { item: 0 }],
      ['two', 'completed', { item: 1 }],
    ]);
    expect((items[0].json as any).cost.total_usd).toEqual(expect.any(Number));
    // The first completion was acknowledged without resuming.
    const calls = env.n8n.calls.filter((c) => c.path === `/webhook-waiting/${exec.id}`);
    expect(calls[0]).toEqual(expect.objectContaining({ status: 200, body: expect.objectContaining({ pending: 1 }) }));
    expect(calls.some((c) => (c.body as any)?.resumed === true)).toBe(true);
  });

  test('race: predictions that finished before the execution waited are output at once', async () => {
    const exec = await env.n8n.run(startThenAwait('{"text": "fast"}'), 'Start');
    // Run Model returned while the echo ran; Await checks the API before waiting.
    const run = exec.status === 'waiting' ? await exec.done : exec.result!;
    expect(run.status).toBe('success');
    expect(awaited(run).map((i) => i.json.output)).toEqual(['fast']);
  });

  test('non-final and foreign callbacks are acknowledged but do not resume', async () => {
    const exec = await env.n8n.run(startThenAwait('{"text": "slow", "sleep": 3}'), 'Start');
    expect(exec.status).toBe('waiting');
    const id = N8nHarness.output(exec.result, 'Start')[0].json.id as string;
    const url = `${env.n8n.baseUrl}/webhook-waiting/${exec.id}`;
    const processing = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, status: 'processing' }) });
    expect(await processing.json()).toEqual(expect.objectContaining({ ignored: 'not final' }));
    const foreign = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'other', status: 'succeeded' }) });
    expect(await foreign.json()).toEqual(expect.objectContaining({ ignored: 'not awaited' }));
    // A forged "succeeded" body for our id does not resume either: the API still says running.
    const forged = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, status: 'succeeded' }) });
    expect(await forged.json()).toEqual(expect.objectContaining({ pending: 1 }));
    expect(exec.status).toBe('waiting');
    const run = await exec.done;
    expect(awaited(run)[0].json.output).toBe('slow');
    // Once finished, further callbacks get 409 like n8n answers.
    const late = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(late.status).toBe(409);
  });

  test('timeout: a timer resume outputs items marked awaitStatus "timeout"', async () => {
    const exec = await env.n8n.run(startThenAwait('{"text": "never mind", "sleep": 20}', { timeout: 1 }), 'Start');
    expect(exec.status).toBe('waiting');
    expect(exec.result!.waitTill!.getTime()).toBeLessThan(Date.now() + 2000);
    const run = await env.n8n.resumeByTimer(exec.id);
    expect(run.status).toBe('success');
    const [item] = awaited(run);
    expect(item.json).toEqual(expect.objectContaining({ awaitStatus: 'timeout', id: N8nHarness.output(exec.result, 'Start')[0]?.json.id ?? expect.any(String) }));
  });

  test('polling mode and file output downloaded into binary', async () => {
    const dataUri = `data:text/plain;base64,${Buffer.from('file body').toString('base64')}`;
    const def = startThenAwait(JSON.stringify({ text: dataUri, sleep: 1 }), { waitMode: 'poll', pollInterval: 0.2, timeout: 30 });
    (def.nodes[0].parameters as any).resumeAwait = false;
    const exec = await env.n8n.run(def, 'Start');
    expect(exec.status).toBe('success');
    const [item] = awaited(exec.result);
    expect(item.json.awaitStatus).toBe('completed');
    expect(item.binary!.output.mimeType).toBe('text/plain');
    expect(Buffer.from(item.binary!.output.data, 'base64').toString()).toBe('file body');
  });

  test('polling mode timeout is a clear output, not a hang', async () => {
    const def = startThenAwait('{"sleep": 20}', { waitMode: 'poll', pollInterval: 0.2, timeout: 1 });
    (def.nodes[0].parameters as any).resumeAwait = false;
    const started = Date.now();
    const exec = await env.n8n.run(def, 'Start');
    expect(Date.now() - started).toBeLessThan(8000);
    expect(awaited(exec.result)[0].json).toEqual(expect.objectContaining({ awaitStatus: 'timeout', status: expect.stringMatching(/starting|processing/) }));
  });
});
