/**
 * Example 4 driven end to end (Webhook → Run Model, start only → Await Prediction, webhook mode →
 * Respond to Webhook), shared by the regular-mode and the queue-mode tests: a caller posts to
 * the workflow's webhook and holds the request open; the execution starts a prediction whose
 * webhook is the execution's resume URL and goes to sleep (`waiting` in n8n's database); the
 * engine's callback resumes it and the caller gets the prediction's result.
 */
import type { EngineHandle } from '../../helpers/engine';
import { nodeOutput, type ExecutionSummary, type N8n } from './n8n';

export const WEBHOOK_PATH = 'gantry-pipeline';

/** Requests the engine logged (GANTRY_LOG=debug with GANTRY_LOG_FORMAT=json makes Fastify log each one as a JSON line). */
export function engineRequests(engine: EngineHandle, method: string, url: string): number {
  return engine
    .output()
    .split('\n')
    .filter((line) => line.includes('"incoming request"') && line.includes(`"method":"${method}"`) && line.includes(`"url":"${url}"`)).length;
}

export interface AwaitedRun {
  /** n8n's execution: the same id before the wait and after the resume. */
  executionId: string;
  predictionId: string;
  finished: ExecutionSummary;
}

/**
 * What the caller of the trigger webhook gets back. `result`: the request is held across the wait
 * and answered by Respond to Webhook with the prediction (regular mode). `released at wait`:
 * n8n answers 200 with an empty body when the execution goes to sleep (queue mode: main ends
 * the held request when the worker reports the first job finished, and the resumed run's
 * Respond to Webhook has no caller left to answer).
 */
export type CallerAnswer = 'result' | 'released at wait';

/**
 * Runs example 4 once with an 8-second prediction and asserts the whole wait/resume path: seen
 * `waiting` while the model runs, resumed through the signed (2.x) resume URL, the prediction's
 * output in the finished execution (and in the caller's answer where n8n sends it), no polling.
 */
export async function runWebhookAwaitRespond(n8n: N8n, engine: EngineHandle, workflowId: string, caller: CallerAnswer = 'result'): Promise<AwaitedRun> {
  // Log in and create the API key first, so the first look at the executions is quick.
  expect(await n8n.waitingExecutions(workflowId)).toEqual([]);
  const pending = fetch(`${n8n.url}/webhook/${WEBHOOK_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'resumed by the engine', sleep: 8 }),
  });
  let early: Response | undefined;
  void pending.then((r) => (early = r), () => undefined);
  // While the model runs, the execution is parked in n8n's database as `waiting`.
  let waiting = (await n8n.waitingExecutions(workflowId))[0];
  for (let i = 0; !waiting && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 300));
    waiting = (await n8n.waitingExecutions(workflowId))[0];
  }
  if (!waiting) {
    // Say what happened instead: what the caller got, and how the executions ended.
    const answer = early ? `${early.status} ${await early.text()}` : 'no answer yet';
    const executions = (await n8n.executions(workflowId)).map((e) => ({ id: e.id, status: e.status, error: e.data?.resultData?.error?.message }));
    throw new Error(`no execution of ${workflowId} was seen waiting; the caller got ${answer}; executions: ${JSON.stringify(executions)}`);
  }
  expect(waiting).toEqual(expect.objectContaining({ status: 'waiting', waitTill: expect.any(String) }));
  const response = await pending;
  expect(response.status).toBe(200);
  const answer = await response.text();
  if (caller === 'released at wait') expect(answer).toBe('');

  await n8n.waitForExecutions(workflowId, (list) => list.some((e) => e.id === waiting.id && e.status === 'success'));
  const finished = (await n8n.executions(workflowId)).find((e) => e.id === waiting.id) as ExecutionSummary;
  const [started] = nodeOutput(finished, 'Start prediction');
  // 2.x signs resume URLs; 1.x's carry no signature.
  const resumeUrl = `^${n8n.url}/webhook-waiting/${waiting.id}${n8n.major >= 2 ? '\\?signature=' : '$'}`;
  expect(started.webhook).toMatch(new RegExp(resumeUrl));
  const [awaited] = nodeOutput(finished, 'Await Prediction');
  expect(awaited).toEqual(expect.objectContaining({ id: started.id, status: 'succeeded', output: 'resumed by the engine', awaitStatus: 'completed' }));
  expect(awaited.cost.total_usd).toBeGreaterThan(0);
  // Respond to Webhook ran after the resume (its output is its input: the awaited prediction).
  expect(nodeOutput(finished, 'Respond with the result')).toEqual([expect.objectContaining({ id: started.id, status: 'succeeded' })]);
  if (caller === 'result') {
    expect(JSON.parse(answer)).toEqual({ id: started.id, status: 'succeeded', output: 'resumed by the engine', cost_usd: awaited.cost.total_usd });
  }
  // No polling: over an 8-second prediction the prediction was read exactly twice, once by
  // Await Prediction before the execution went to sleep, once by its webhook() to confirm the
  // callback (a poll loop reads it every interval).
  expect(engineRequests(engine, 'GET', `/v1/predictions/${started.id}`)).toBe(2);
  return { executionId: waiting.id, predictionId: started.id, finished };
}
