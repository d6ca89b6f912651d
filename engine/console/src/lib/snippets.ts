/**
 * "Copy as": the same prediction as a curl command, JavaScript and Python with the official
 * Replicate clients (only the base URL changes), and an n8n Gantry Run Model node to paste into a
 * workflow. The token is never written into a snippet: each reads GANTRY_API_TOKEN. Pure.
 */
export interface SnippetTarget {
  /** The engine's origin, e.g. `http://127.0.0.1:8787`. */
  origin: string;
  /** `owner/name`. */
  model: string;
  /** A version id to pin, or undefined for the latest version. */
  version?: string;
  input: Record<string, unknown>;
}

export type SnippetKind = 'curl' | 'javascript' | 'python' | 'n8n';
export const SNIPPET_KINDS: Array<{ kind: SnippetKind; label: string }> = [
  { kind: 'curl', label: 'curl' },
  { kind: 'javascript', label: 'JavaScript' },
  { kind: 'python', label: 'Python' },
  { kind: 'n8n', label: 'n8n node' },
];

const ref = (t: SnippetTarget) => (t.version ? `${t.model}:${t.version}` : t.model);

/** Single-quotes a string for a POSIX shell. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function curlSnippet(t: SnippetTarget): string {
  const body = JSON.stringify({ version: ref(t), input: t.input });
  return [
    `curl -s -X POST ${t.origin}/v1/predictions \\`,
    `  -H "Authorization: Bearer $GANTRY_API_TOKEN" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -H "Prefer: wait" \\`,
    `  -d ${shellQuote(body)}`,
  ].join('\n');
}

export function javascriptSnippet(t: SnippetTarget): string {
  const input = JSON.stringify(t.input, null, 2).replace(/\n/g, '\n  ');
  return [
    `import Replicate from 'replicate';`,
    ``,
    `const replicate = new Replicate({ auth: process.env.GANTRY_API_TOKEN, baseUrl: '${t.origin}/v1' });`,
    `const output = await replicate.run('${ref(t)}', {`,
    `  input: ${input},`,
    `});`,
    `console.log(output);`,
  ].join('\n');
}

/** A JSON value as a Python literal (True/False/None), indented like json.dumps(indent=4). */
export function pythonLiteral(value: unknown, indent = ''): string {
  const inner = `${indent}    `;
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return `[\n${value.map((v) => `${inner}${pythonLiteral(v, inner)}`).join(',\n')},\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.length) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pythonLiteral(v, inner)}`).join(',\n')},\n${indent}}`;
}

export function pythonSnippet(t: SnippetTarget): string {
  return [
    `import os`,
    `import replicate`,
    ``,
    `client = replicate.Client(api_token=os.environ["GANTRY_API_TOKEN"], base_url="${t.origin}")`,
    `output = client.run(`,
    `    "${ref(t)}",`,
    `    input=${pythonLiteral(t.input, '    ')},`,
    `)`,
    `print(output)`,
  ].join('\n');
}

/** A Gantry Run Model node as n8n's clipboard holds it: paste it onto a workflow canvas. */
export function n8nSnippet(t: SnippetTarget): string {
  const node = {
    parameters: {
      operation: 'run',
      source: 'model',
      model: { __rl: true, mode: 'id', value: t.model },
      version: t.version ?? '',
      inputMode: 'json',
      inputJson: JSON.stringify(t.input, null, 2),
      mode: 'wait',
      options: {},
    },
    name: `Run ${t.model}`,
    type: 'n8n-nodes-gantry.gantryRunModel',
    typeVersion: 1,
    position: [0, 0],
    credentials: { gantryApi: { id: '', name: 'Gantry API' } },
  };
  return JSON.stringify({ nodes: [node], connections: {} }, null, 2);
}

export function snippet(kind: SnippetKind, t: SnippetTarget): string {
  switch (kind) {
    case 'curl':
      return curlSnippet(t);
    case 'javascript':
      return javascriptSnippet(t);
    case 'python':
      return pythonSnippet(t);
    case 'n8n':
      return n8nSnippet(t);
  }
}
