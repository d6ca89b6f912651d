/** The workflows in examples/, made importable: an id, and the test's Gantry credential on every node that has one. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

export interface Workflow {
  id: string;
  name: string;
  nodes: Array<{ name: string; type: string; parameters: Record<string, unknown>; webhookId?: string; credentials?: Record<string, { id: string; name: string }> }>;
  [key: string]: unknown;
}

export function exampleFiles(): string[] {
  return readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort();
}

export function loadExample(file: string, id: string, credential: { id: string; name: string }): Workflow {
  const workflow = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as Workflow;
  workflow.id = id;
  for (const node of workflow.nodes) {
    if (node.credentials?.gantryApi) node.credentials = { ...node.credentials, gantryApi: credential };
  }
  return workflow;
}
