/**
 * n8n in queue mode: a main process (`n8n start`) and a worker (`n8n worker`) on a Postgres
 * database of their own and Bull on the machine's Redis (a key prefix of this run's own). The
 * webhook example (examples/04) runs with the execution picked up by the worker: it starts the
 * prediction, goes to sleep, and when the engine's webhook reaches main through the resume URL,
 * main puts the continuation back on the queue and the worker finishes it, with no polling.
 * Real n8n, real Redis, real Postgres, a real engine.
 */
import { startEngine, type EngineHandle } from '../helpers/engine';
import { loadExample, type Workflow } from './harness/examples';
import { e2eVersions, keepLogs, logEntries, N8n, packPackage, provision, type LogEntry, type Runtime } from './harness/n8n';
import { createQueueMode, jobsEnqueued, removeQueueMode, type QueueMode } from './harness/queue-mode';
import { runWebhookAwaitRespond } from './harness/webhook-await';

const CREDENTIAL = { id: 'gantryE2eCred001', name: 'Gantry (e2e engine)' };
const WORKFLOW_ID = 'gantryQueueExample04';
const POLLING_ID = 'gantryQueuePolling04';
const POLLING_PATH = 'gantry-pipeline-polling';

/**
 * Example 4 with Await Prediction polling (and no resume URL on the prediction): the execution
 * never sleeps, so it stays one job on the worker and Respond to Webhook answers the caller.
 */
function pollingVariant(): Workflow {
  const workflow = loadExample('04-webhook-await-respond.json', POLLING_ID, CREDENTIAL);
  workflow.name = `${workflow.name} (polling)`;
  for (const node of workflow.nodes) {
    if (node.name === 'Webhook') Object.assign(node, { webhookId: '0b4c3a52-5b8e-4f57-9c55-3d0a1f3e2b71', parameters: { ...node.parameters, path: POLLING_PATH } });
    if (node.name === 'Start prediction') node.parameters.resumeAwait = false;
    if (node.name === 'Await Prediction') Object.assign(node.parameters, { waitMode: 'poll', pollInterval: 1 });
  }
  return workflow;
}

/** The Bull jobs a process's log names for an execution, in order (`Enqueued execution 1 (job 2)` and the like). */
function jobsLogged(entries: LogEntry[], message: RegExp, executionId: string): string[] {
  return entries.filter((e) => message.test(e.message) && String(e.metadata.executionId) === executionId).map((e) => String(e.metadata.jobId));
}

/** The nodes of the test's workflow that a process executed (n8n-core logs each at debug level). */
function nodesExecuted(entries: LogEntry[]): string[] {
  return entries.filter((e) => e.message.startsWith('Start executing node "') && e.metadata.workflowId === WORKFLOW_ID).map((e) => String(e.metadata.node));
}

/** A process's host id, which n8n logs at debug level when it starts. */
function hostId(entries: LogEntry[]): string {
  const entry = entries.find((e) => e.message.startsWith('Host ID: '));
  if (!entry) throw new Error('the log names no host id');
  return entry.message.slice('Host ID: '.length).trim();
}

describe.each(e2eVersions())('n8n %s in queue mode (main + worker on Redis)', (version) => {
  let runtime: Runtime;
  let engine: EngineHandle;
  let queue: QueueMode;
  let n8n: N8n;

  beforeAll(async () => {
    runtime = provision(version);
    expect(runtime.version).toBe(version);
    // Request lines as JSON, so the harness can count the engine's reads (engineRequests).
    engine = await startEngine({ env: { GANTRY_LOG: 'debug', GANTRY_LOG_FORMAT: 'json' } });
    queue = await createQueueMode();
    n8n = await N8n.create(runtime, packPackage(), { queue });
    await n8n.importCredential({ ...CREDENTIAL, type: 'gantryApi', data: { baseUrl: engine.url, apiToken: engine.token } });
    await n8n.importWorkflow(loadExample('04-webhook-await-respond.json', WORKFLOW_ID, CREDENTIAL));
    await n8n.publish(WORKFLOW_ID);
    await n8n.importWorkflow(pollingVariant());
    await n8n.publish(POLLING_ID);
    await n8n.start();
    await n8n.startWorker();
  }, 1_800_000);

  afterAll(async () => {
    keepLogs(`queue-mode-${version}`, { 'n8n-main': n8n?.log(), 'n8n-worker': n8n?.workerLog(), engine: engine?.output() });
    await n8n?.remove();
    if (queue) await removeQueueMode(runtime, queue);
    await engine?.stop();
  });

  test('example 4: the worker runs the execution, it waits, the engine webhook resumes it through main (no polling)', async () => {
    // What regular mode proves (waiting while the model runs, the resume URL, the output, the
    // prediction read twice), except the caller's answer: in queue mode n8n releases the
    // trigger's request when the execution goes to sleep (see CallerAnswer).
    const run = await runWebhookAwaitRespond(n8n, engine, WORKFLOW_ID, 'released at wait');
    expect(run.finished.mode).toBe('webhook');

    const main = logEntries(n8n.log());
    const worker = logEntries(n8n.workerLog());
    // Main put the execution on the queue twice: when the trigger webhook started it, and when
    // the engine's callback on the resume URL woke it up.
    const enqueued = jobsLogged(main, /^Enqueued execution /, run.executionId);
    expect(enqueued).toHaveLength(2);
    expect(new Set(enqueued).size).toBe(2);
    // The worker took both jobs off the queue and finished each ...
    expect(jobsLogged(worker, /^Worker started execution /, run.executionId)).toEqual(enqueued);
    expect(jobsLogged(worker, /^Worker finished execution /, run.executionId)).toEqual(enqueued);
    // ... and main heard so from that worker: each job's "finished" report names its host id.
    const workerHost = hostId(worker);
    expect(workerHost).not.toBe(hostId(main));
    const reports = main.filter((e) => / finished$/.test(e.message) && e.message.startsWith('Execution ') && String(e.metadata.executionId) === run.executionId);
    expect(reports.map((e) => [String(e.metadata.jobId), e.metadata.workerId])).toEqual(enqueued.map((job) => [job, workerHost]));
    // Every job main enqueued went through this run's Redis prefix (Bull numbers a queue's jobs there).
    expect(await jobsEnqueued(runtime, queue)).toBe(main.filter((e) => e.message.startsWith('Enqueued execution ')).length);
    // The worker executed the workflow's nodes, before the wait and after it; main executed none
    // (in regular mode main logs these same lines; its host id above shows its debug lines are
    // read). Main only ran webhook handlers: the trigger's, and Await Prediction's webhook()
    // that confirmed the callback.
    const onWorker = nodesExecuted(worker);
    expect(new Set(onWorker)).toEqual(new Set(['Webhook', 'Start prediction', 'Await Prediction', 'Respond with the result']));
    expect(onWorker.lastIndexOf('Respond with the result')).toBeGreaterThan(onWorker.indexOf('Start prediction'));
    expect(nodesExecuted(main)).toEqual([]);
  });

  test('example 4 with Await Prediction polling: one job on the worker, and the caller gets the result', async () => {
    const response = await fetch(`${n8n.url}/webhook/${POLLING_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'polled on the worker', sleep: 3 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { id: string; status: string; output: string; cost_usd: number };
    expect(body).toEqual({ id: expect.any(String), status: 'succeeded', output: 'polled on the worker', cost_usd: expect.any(Number) });
    const [done] = await n8n.waitForExecutions(POLLING_ID, (list) => list.length === 1 && list[0].status === 'success');
    const enqueued = jobsLogged(logEntries(n8n.log()), /^Enqueued execution /, done.id);
    expect(enqueued).toHaveLength(1);
    expect(jobsLogged(logEntries(n8n.workerLog()), /^Worker finished execution /, done.id)).toEqual(enqueued);
  });
});
