import { N8nHarness } from './harness/n8n';
import { setup, teardown, type Env } from './harness/setup';

let env: Env;
beforeAll(async () => {
  env = await setup();
}, 120000);
afterAll(async () => teardown(env));

/** Evaluates the credential's declarative test request the way n8n does (`={{…}}` with $credentials). */
async function credentialTest(baseUrl: string, apiToken: string) {
  const type = env.n8n.credentialType('gantryApi');
  const workflow = env.n8n.workflow({ nodes: [] });
  const request = type.test!.request;
  const resolvedBase = workflow.expression.getParameterValue(request.baseURL as string, null, 0, 0, 'n', [], 'internal', {
    $credentials: { baseUrl, apiToken },
  } as never) as string;
  return await fetch(`${resolvedBase}${request.url}`, { method: request.method, headers: { authorization: `Bearer ${apiToken}` } });
}

test('credential test calls GET /v1/account; a trailing /v1 in the base URL is tolerated', async () => {
  expect(env.n8n.credentialTypeNames).toEqual(['gantryApi']);
  expect((await credentialTest(`${env.engine.url}/v1/`, env.engine.token)).status).toBe(200);
  expect((await credentialTest(env.engine.url, 'nope')).status).toBe(401);
  void N8nHarness;
});
