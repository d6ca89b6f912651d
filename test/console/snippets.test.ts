/**
 * "Copy as" snippets, run for real: the curl command through a shell and the JavaScript through the
 * official replicate client against a running engine; the Python and n8n snippets are checked for
 * the exact shapes their consumers read (the Python client is not installed here; the n8n node's
 * parameters are checked against the compiled node's own description).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { curlSnippet, javascriptSnippet, n8nSnippet, pythonLiteral, pythonSnippet, shellQuote } from '../../engine/console/src/lib/snippets';
import { api, startEngine, type EngineHandle } from '../helpers/engine';

const run = promisify(execFile);
let engine: EngineHandle;
let version: string;
const input = { text: `it's "quoted" $HOME \`x\``, sleep: 0, fail: false, stream_chunks: 0 };

beforeAll(async () => {
  engine = await startEngine();
  version = (await api(engine)('GET', '/v1/models/gantry/echo')).json.latest_version.id;
}, 90_000);
afterAll(async () => engine?.stop());

test('the curl snippet runs in a shell as written, with the token from the environment', async () => {
  const command = curlSnippet({ origin: engine.url, model: 'gantry/echo', version, input });
  expect(command).not.toContain(engine.token);
  const { stdout } = await run('bash', ['-c', command], { env: { ...process.env, GANTRY_API_TOKEN: engine.token } });
  const prediction = JSON.parse(stdout);
  expect(prediction.status).toBe('succeeded');
  expect(prediction.output).toBe(input.text);
  expect(prediction.version).toBe(version);
});

test('the JavaScript snippet runs with the official replicate client', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-js-snippet-'));
  const file = join(dir, 'run.mjs');
  // The snippet imports 'replicate'; resolve it from this repository's node_modules.
  const code = javascriptSnippet({ origin: engine.url, model: 'gantry/echo', version, input }).replace(
    "import Replicate from 'replicate';",
    `import Replicate from ${JSON.stringify(require.resolve('replicate'))};`,
  );
  writeFileSync(file, code);
  const { stdout } = await run(process.execPath, [file], { env: { ...process.env, GANTRY_API_TOKEN: engine.token } });
  expect(stdout.trim()).toBe(input.text);
});

test('the latest version when none is pinned', async () => {
  const command = curlSnippet({ origin: engine.url, model: 'gantry/echo', input: { text: 'latest' } });
  expect(command).toContain('"version":"gantry/echo"');
  const { stdout } = await run('bash', ['-c', command], { env: { ...process.env, GANTRY_API_TOKEN: engine.token } });
  expect(JSON.parse(stdout).output).toBe('latest');
});

test('the Python snippet uses the client with base_url and Python literals', () => {
  const code = pythonSnippet({ origin: 'http://127.0.0.1:8787', model: 'gantry/echo', version: 'v1', input: { a: true, b: null, c: [1, 'x'], d: {} } });
  expect(code).toContain('client = replicate.Client(api_token=os.environ["GANTRY_API_TOKEN"], base_url="http://127.0.0.1:8787")');
  expect(code).toContain('"gantry/echo:v1"');
  expect(pythonLiteral({ a: true, b: null, c: [1, 'x'], d: {} })).toBe('{\n    "a": True,\n    "b": None,\n    "c": [\n        1,\n        "x",\n    ],\n    "d": {},\n}');
});

test('the n8n snippet is a Gantry Run Model node as n8n pastes it', () => {
  const pasted = JSON.parse(n8nSnippet({ origin: 'http://x', model: 'gantry/ocr', version: 'abc', input: { image: 'https://x/a.png' } }));
  expect(pasted.connections).toEqual({});
  expect(pasted.nodes).toHaveLength(1);
  const node = pasted.nodes[0];
  expect(node.type).toBe('n8n-nodes-gantry.gantryRunModel');
  expect(node.typeVersion).toBe(1);
  expect(node.parameters).toEqual({
    operation: 'run',
    source: 'model',
    model: { __rl: true, mode: 'id', value: 'gantry/ocr' },
    version: 'abc',
    inputMode: 'json',
    inputJson: JSON.stringify({ image: 'https://x/a.png' }, null, 2),
    mode: 'wait',
    options: {},
  });
  expect(node.credentials).toEqual({ gantryApi: { id: '', name: 'Gantry API' } });
  // Every parameter is one the compiled node declares, with a value it offers.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { GantryRunModel } = require('../../dist/nodes/GantryRunModel/GantryRunModel.node.js');
  const properties: Array<{ name: string; options?: Array<{ value: unknown }> }> = new GantryRunModel().description.properties;
  for (const [name, value] of Object.entries(node.parameters)) {
    const declared = properties.filter((p) => p.name === name);
    expect({ name, declared: declared.length > 0 }).toEqual({ name, declared: true });
    const choices = declared.flatMap((p) => p.options?.map((o) => o.value) ?? []);
    if (typeof value === 'string' && choices.length && declared.every((p) => p.options)) expect(choices).toContain(value);
  }
});

test('shell quoting survives every quote', async () => {
  const tricky = `a'b"c$d\`e\\f`;
  const { stdout } = await run('bash', ['-c', `printf %s ${shellQuote(tricky)}`]);
  expect(stdout).toBe(tricky);
});
