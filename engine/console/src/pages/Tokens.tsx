/**
 * API tokens: create one with its scope and spend limits (its secret is shown once, here), list
 * them, revoke.
 */
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

export function Tokens() {
  const list = useResource((signal) => api.get<{ results: Token[] }>('/v1/tokens', { signal }), []);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Token['scope']>('run');
  const [perDay, setPerDay] = useState('');
  const [perMonth, setPerMonth] = useState('');
  const [created, setCreated] = useState<(Token & { token: string }) | undefined>();
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const errors = problem?.errors ?? [];
  const placed = placeProblems(errors.filter((e) => !e.pointer.startsWith('/limits/')), ['name', 'scope']);
  const limitErrors = placeProblems(errors.filter((e) => e.pointer.startsWith('/limits/')), ['usd_per_day', 'usd_per_month'], '/limits');
  const create = async (e: Event) => {
    e.preventDefault();
    setProblem(undefined);
    // An empty limit is no limit; anything else goes to the API as typed (it says what is wrong).
    const limit = (text: string) => (text.trim() === '' ? undefined : Number.isFinite(Number(text)) ? Number(text) : text);
    const limits = { usd_per_day: limit(perDay), usd_per_month: limit(perMonth) };
    try {
      const t = await api.post<Token & { token: string }>('/v1/tokens', {
        name,
        scope,
        ...(limits.usd_per_day !== undefined || limits.usd_per_month !== undefined ? { limits } : {}),
      });
      setCreated(t);
      setName('');
      setPerDay('');
      setPerMonth('');
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
        <Field id="token-scope" label="Scope" required hint="admin: everything; run: runs models and sees only its own work; read: only reads." error={placed.byField.scope}>
          <select id="token-scope" value={scope} onChange={(e) => setScope(e.currentTarget.value as Token['scope'])} {...describedBy('token-scope', true, placed.byField.scope)}>
            <option value="admin">admin</option>
            <option value="run">run</option>
            <option value="read">read</option>
          </select>
        </Field>
        <Field id="token-per-day" label="Spend limit per day (USD)" hint="Empty: none. Creates past it are refused (402)." error={limitErrors.byField.usd_per_day}>
          <input id="token-per-day" inputMode="decimal" value={perDay} onInput={(e) => setPerDay(e.currentTarget.value)} {...describedBy('token-per-day', true, limitErrors.byField.usd_per_day)} />
        </Field>
        <Field id="token-per-month" label="Spend limit per month (USD)" hint="Empty: none." error={limitErrors.byField.usd_per_month}>
          <input id="token-per-month" inputMode="decimal" value={perMonth} onInput={(e) => setPerMonth(e.currentTarget.value)} {...describedBy('token-per-month', true, limitErrors.byField.usd_per_month)} />
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
        <Table head={['Name', 'Scope', 'Limits', 'Created', 'State', <span class="sr-only">Actions</span>]} testid="token-list">
          {list.data.results.map((t) => (
            <tr key={t.id} data-id={t.id}>
              <th scope="row">{t.name}</th>
              <td>{t.scope}</td>
              <td>{limitsText(t.limits)}</td>
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

function limitsText(limits: Token['limits'] | undefined): string {
  const parts = [];
  if (limits?.usd_per_day != null) parts.push(`$${limits.usd_per_day}/day`);
  if (limits?.usd_per_month != null) parts.push(`$${limits.usd_per_month}/month`);
  return parts.length ? parts.join(', ') : 'none';
}
