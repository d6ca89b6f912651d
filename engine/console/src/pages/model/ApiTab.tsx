/** The API tab: the version's inputs and output as a table, and how to call it. */
import { inputFields, boundsText, namedSchema, typeText } from '../../lib/schema';
import { toInput, initialValues } from '../../lib/form-values';
import type { ModelTabProps } from '../ModelPage';
import { CopyAs } from './CopyAs';
import { Table } from '../../ui/Table';

export function ApiTab({ model, version }: ModelTabProps) {
  const fields = inputFields(version.openapi_schema);
  const output = namedSchema(version.openapi_schema, 'Output');
  const ref = `${model.owner}/${model.name}`;
  const example = model.default_example?.input ?? toInput(fields, initialValues(fields)).input;
  return (
    <div class="stack">
      <section class="card">
        <h2>Endpoints</h2>
        <ul class="endpoints">
          <li>
            <code>POST /v1/predictions</code> with <code>{`{"version": "${ref}:${version.id.slice(0, 8)}…", "input": {…}}`}</code> runs this version
          </li>
          <li>
            <code>POST /v1/models/{ref}/predictions</code> with <code>{'{"input": {…}}'}</code> runs the latest version
          </li>
          <li>
            <code>GET /v1/predictions/{'{id}'}</code> reads a prediction; <code>Prefer: wait</code> on the create holds the request until it ends
            {version.streams && <> — this version streams: follow <code>urls.stream</code> (server-sent events)</>}
          </li>
        </ul>
      </section>
      <section class="card">
        <h2>Input</h2>
        <Table head={['Name', 'Type', 'Default', 'Description']} testid="input-schema">
          {fields.map((f) => (
            <tr key={f.name}>
              <th scope="row">
                <code>{f.name}</code>
                {f.required && <span class="req"> required</span>}
              </th>
              <td>
                {typeText(f)}
                {boundsText(f) && <span class="muted"> ({boundsText(f)})</span>}
              </td>
              <td>{f.default === undefined ? '—' : <code>{JSON.stringify(f.default)}</code>}</td>
              <td>{f.description ?? ''}</td>
            </tr>
          ))}
        </Table>
      </section>
      <section class="card">
        <h2>Output</h2>
        <pre class="schema">{JSON.stringify(output ?? {}, null, 2)}</pre>
      </section>
      <CopyAs model={ref} version={version.id} input={example} />
    </div>
  );
}
