/** API tokens: create one with a scope (its secret is shown once, here), list them, revoke. */
import { useState } from 'preact/hooks';
import { api, ApiProblem } from '../api';
import type { Token } from '../api/types';
import { when } from '../lib/format';
import { placeProblems } from '../lib/problems';
import { CopyButton } from '../ui/CopyButton';
import { Field, describedBy } from '../ui/Field';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { Status } from '../ui/Status';
import { useResource } from '../ui/use-resource';
import { Table } from '../ui/Table';

/** The scopes the form offers, the default first (what each may do: engine/src/core/scopes.ts). */
const SCOPES: Array<Token['scope']> = ['run', 'read', 'admin'];

export function Tokens() {
  const list = useResource((signal) => api.get<{ results: Token[] }>('/v1/tokens', { signal }), []);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Token['scope']>('run');
  const [created, setCreated] = useState<(Token & { token: string }) | undefined>();
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const placed = placeProblems(problem?.errors ?? [], ['name', 'scope']);
  const create = async (e: Event) => {
    e.preventDefault();
    setProblem(undefined);
    try {
      const t = await api.post<Token & { token: string }>('/v1/tokens', { name, scope });
      setCreated(t);
      setName('');
      list.reload();
    } catch (err) {
      setProblem(err as ApiProblem);
    }
  };
  const revoke = async (t: Token) => {
    if (!confirm(`Revoke the token “${t.name}”? Anything using it stops working at once.`)) return;
    try {
      await api.delete(`/v1/tokens/${t.id}`);
      list.reload();
    } catch (err) {
      setProblem(err as ApiProblem);
    }
  };
  return (
    <Page title="API tokens" ready={!!list.data || !!list.error}>
      <form class="card narrow" onSubmit={create} noValidate aria-label="New token">
        <h2>New token</h2>
        <ProblemNotice problem={problem} errors={placed.other} />
        <Field id="token-name" label="Name" required hint="What uses it, e.g. “n8n production”." error={placed.byField.name}>
          <input id="token-name" value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" {...describedBy('token-name', true, placed.byField.name)} />
        </Field>
        <Field
          id="token-scope"
          label="Scope"
          hint="run: runs models and checks, and reads; read: reads only; admin: everything. A run or read token sees only what it made."
          error={placed.byField.scope}
        >
          <select id="token-scope" value={scope} onChange={(e) => setScope(e.currentTarget.value as Token['scope'])} {...describedBy('token-scope', true, placed.byField.scope)}>
            {SCOPES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <button type="submit">Create token</button>
      </form>
      {created && (
        <div class="notice success" role="status" data-testid="new-token">
          <p>
            <strong>{created.name}</strong>: copy it now, it is shown only once.
          </p>
          <p>
            <code class="secret" data-testid="new-token-secret">
              {created.token}
            </code>{' '}
            <CopyButton text={created.token} />
          </p>
        </div>
      )}
      <ProblemNotice problem={list.error} />
      {list.data && (
        <Table head={['Name', 'Scope', 'Created', 'State', <span class="sr-only">Actions</span>]} testid="token-list">
          {list.data.results.map((t) => (
            <tr key={t.id} data-id={t.id}>
              <th scope="row">{t.name}</th>
              <td>{t.scope}</td>
              <td>{when(t.created_at)}</td>
              <td>{t.revoked_at ? <>revoked {when(t.revoked_at)}</> : <Status value="active" />}</td>
              <td>
                {!t.revoked_at && (
                  <button type="button" class="danger small" onClick={() => revoke(t)} aria-label={`Revoke ${t.name}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Page>
  );
}
