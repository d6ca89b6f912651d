import { N8nHarness } from './harness/n8n';

test('loads the package the way n8n does', async () => {
  const h = await N8nHarness.start();
  try {
    expect(h.nodeTypeNames.sort()).toEqual(['gantryAwaitPrediction','gantryCheck','gantryDeployment','gantryFineTune','gantryRunModel','gantryTrigger']);
  } finally { await h.stop(); }
});
