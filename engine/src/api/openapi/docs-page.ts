/**
 * `/docs`: the OpenAPI document rendered on the server as one HTML page with inline CSS and no
 * script, image, font or link to anywhere else (its Content-Security-Policy forbids them too), so
 * reading it makes no request leave the machine.
 */
const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The header that keeps the page from loading anything: inline styles only. */
export const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

type Doc = {
  info: { title: string; version: string; description: string };
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, unknown> };
};
type Op = {
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string }>;
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
  'x-required-scope'?: string;
  'x-gantry-extension'?: boolean;
  security?: unknown[];
};

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#1d2330;color:#fff;padding:1.2em 2em}header p{margin:.3em 0 0;color:#c9d1e0;max-width:60em}
main{padding:1em 2em;max-width:72em}nav a{margin-right:1em}a{color:#2557c7}
h2{border-bottom:1px solid #d5dae3;padding-bottom:.2em;margin-top:2em;text-transform:capitalize}
section.op{background:#fff;border:1px solid #e2e6ee;border-radius:6px;padding:.6em 1em;margin:.8em 0}
.m{display:inline-block;min-width:4.5em;font:600 13px monospace;padding:.1em .4em;border-radius:4px;color:#fff;text-align:center}
.get{background:#2e7d32}.post{background:#1565c0}.delete{background:#c62828}.patch{background:#8e24aa}.query{background:#00838f}
code.path{font:600 14px monospace}.tag{font-size:12px;border:1px solid #c7cedb;border-radius:9px;padding:0 .5em;margin-left:.5em;color:#4a5468}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #e2e6ee;padding:.2em .6em;text-align:left;vertical-align:top;font-size:14px}
pre{background:#f3f5f9;padding:.6em;overflow:auto;font-size:12.5px;max-height:24em}summary{cursor:pointer}`;

function schemaBlock(label: string, schema: unknown): string {
  if (schema === undefined) return `<div>${esc(label)}</div>`;
  const r = (schema as { $ref?: string }).$ref;
  if (r) {
    const name = r.split('/').pop()!;
    return `<div>${esc(label)}: <a href="#schema-${esc(name)}">${esc(name)}</a></div>`;
  }
  return `<details><summary>${esc(label)}</summary><pre>${esc(JSON.stringify(schema, null, 2))}</pre></details>`;
}

function operationHtml(path: string, method: string, op: Op): string {
  const verb = method.replace(/^x-/, '');
  const params = op.parameters ?? [];
  const rows = params.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : ''}</td><td>${esc(p.description)}</td></tr>`).join('');
  const body = op.requestBody
    ? Object.entries(op.requestBody.content).map(([type, c]) => schemaBlock(`Request body (${type})`, c.schema)).join('')
    : '';
  const responses = Object.entries(op.responses)
    .map(([status, r]) => `<tr><td>${esc(status)}</td><td>${esc(r.description)}${Object.entries(r.content ?? {}).map(([type, c]) => schemaBlock(type, c.schema)).join('')}</td></tr>`)
    .join('');
  const auth = op.security && op.security.length === 0 ? 'no token' : `scope ${esc(op['x-required-scope'])}`;
  return `<section class="op" id="${esc(`${verb}-${path}`)}">
<div><span class="m ${esc(verb)}">${esc(verb.toUpperCase())}</span> <code class="path">${esc(path)}</code>${op['x-gantry-extension'] ? '<span class="tag">Gantry extension</span>' : ''}<span class="tag">${auth}</span></div>
<p>${esc(op.summary)}${op.description ? ` ${esc(op.description)}` : ''}</p>
${rows ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th></th></tr>${rows}</table>` : ''}${body}
<table><tr><th>status</th><th>answer</th></tr>${responses}</table></section>`;
}

export function renderDocsPage(document: Record<string, unknown>): string {
  const doc = document as unknown as Doc;
  const byTag = new Map<string, string[]>(doc.tags.map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) byTag.get(op.tags[0])?.push(operationHtml(path, method, op));
  }
  const sections = [...byTag].map(([tag, ops]) => `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${ops.join('\n')}`).join('\n');
  const schemas = Object.entries(doc.components.schemas)
    .map(([name, s]) => `<section class="op" id="schema-${esc(name)}"><strong>${esc(name)}</strong><pre>${esc(JSON.stringify(s, null, 2))}</pre></section>`)
    .join('\n');
  const nav = [...byTag.keys()].map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join('') + '<a href="#schemas">schemas</a>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)}</title><style>${STYLE}</style></head>
<body><header><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${esc(doc.info.description)}</p><p>The machine-readable document is at <code>/openapi.json</code>.</p></header>
<main><nav>${nav}</nav>
${sections}
<h2 id="schemas">schemas</h2>
${schemas}
</main></body></html>
`;
}
