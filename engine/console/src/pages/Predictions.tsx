/**
 * Predictions: the list, filtered by the API (model, deployment, status, tag — e.g. one n8n
 * execution — and a time range), newest first, a page at a time. The filters are the page's
 * query string, so the same view can be reloaded or shared; a filter the API rejects is shown
 * next to its field.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem, withQuery } from '../api';
import type { Model, Page as ApiPage, Prediction, Status as PredictionStatus } from '../api/types';
import { ago, seconds, usd } from '../lib/format';
import { placeProblems } from '../lib/problems';
import { navigate } from '../router';
import { Field, describedBy } from '../ui/Field';
import { Link } from '../ui/Link';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { Status } from '../ui/Status';
import { useResource } from '../ui/use-resource';
import { Table } from '../ui/Table';

const STATUSES: PredictionStatus[] = ['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted'];
const FILTERS = ['model', 'deployment', 'status', 'tag', 'created_after', 'created_before'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;
const PAGE = '25';

/** `2025-01-31T14:05` (a datetime-local field, read as UTC) ↔ an ISO instant. */
const toIso = (local: string) => (local ? (local.length === 16 ? `${local}:00Z` : `${local}Z`) : '');
const fromIso = (iso: string) => iso.slice(0, 16);

function filtersOf(query: URLSearchParams): Filters {
  return Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Filters;
}

export function Predictions({ query }: { query: URLSearchParams }) {
  const applied = filtersOf(query);
  const cursor = query.get('cursor') ?? '';
  const [draft, setDraft] = useState<Filters>(applied);
  const key = query.toString();
  useEffect(() => setDraft(filtersOf(query)), [key]);
  const list = useResource((signal) => api.get<ApiPage<Prediction>>(withQuery('/v1/predictions', { ...applied, cursor, limit: PAGE }), { signal }), [key]);
  const models = useResource((signal) => api.get<ApiPage<Model>>('/v1/models', { signal }), []);
  const problem = list.error as ApiProblem | undefined;
  const placed = placeProblems(problem?.errors ?? [], [...FILTERS]);
  const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  const apply = (e: Event) => {
    e.preventDefault();
    navigate(withQuery('/predictions', draft));
  };
  const nextCursor = list.data?.next ? new URL(list.data.next).searchParams.get('cursor') : null;
  const field = (k: keyof Filters, label: string, control: (id: string, d: ReturnType<typeof describedBy>) => JSX.Element, hint?: string) => {
    const id = `filter-${k}`;
    return (
      <Field id={id} label={label} hint={hint} error={placed.byField[k]}>
        {control(id, describedBy(id, !!hint, placed.byField[k]))}
      </Field>
    );
  };
  return (
    <Page title="Predictions" ready={!!list.data || !!list.error}>
      <form class="filters" onSubmit={apply} noValidate aria-label="Filters">
        {field('model', 'Model', (id, d) => (
          <input id={id} list="model-names" value={draft.model} placeholder="owner/name" onInput={set('model')} {...d} />
        ))}
        <datalist id="model-names">
          {(models.data?.results ?? []).map((m) => (
            <option key={`${m.owner}/${m.name}`} value={`${m.owner}/${m.name}`} />
          ))}
        </datalist>
        {field('status', 'Status', (id, d) => (
          <select id={id} value={draft.status} onChange={set('status')} {...d}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        ))}
        {field('tag', 'Tag', (id, d) => <input id={id} value={draft.tag} placeholder="key:value" onInput={set('tag')} {...d} />, 'e.g. n8n_execution_id:1234')}
        {field('deployment', 'Deployment', (id, d) => <input id={id} value={draft.deployment} placeholder="owner/name" onInput={set('deployment')} {...d} />)}
        {field('created_after', 'Created after (UTC)', (id, d) => (
          <input id={id} type="datetime-local" value={fromIso(draft.created_after)} onInput={(e) => setDraft({ ...draft, created_after: toIso(e.currentTarget.value) })} {...d} />
        ))}
        {field('created_before', 'Created before (UTC)', (id, d) => (
          <input id={id} type="datetime-local" value={fromIso(draft.created_before)} onInput={(e) => setDraft({ ...draft, created_before: toIso(e.currentTarget.value) })} {...d} />
        ))}
        <div class="form-actions">
          <button type="submit">Apply</button>
          <button type="button" class="secondary" onClick={() => navigate('/predictions')}>
            Clear
          </button>
        </div>
      </form>
      <ProblemNotice problem={problem} errors={placed.other} />
      {list.data && (
        <>
          <Table head={['Prediction', 'Model', 'Status', 'Created', 'Predict time', 'Cost', 'Tags']} testid="prediction-list">
            {list.data.results.map((p) => (
              <tr key={p.id} data-id={p.id}>
                <th scope="row">
                  <Link to={`/predictions/${p.id}`} class="mono">
                    {p.id}
                  </Link>
                </th>
                <td>
                  <Link to={`/models/${p.model}`}>{p.model}</Link>
                  {p.deployment && <div class="muted">via {p.deployment}</div>}
                </td>
                <td>
                  <Status value={p.status} />
                </td>
                <td title={p.created_at}>{ago(p.created_at)}</td>
                <td>{seconds(p.metrics?.predict_time)}</td>
                <td>{usd(p.cost?.total_usd)}</td>
                <td>
                  {Object.entries(p.tags ?? {}).map(([k, v]) => (
                    <Link key={k} class="chip" to={withQuery('/predictions', { tag: `${k}:${v}` })}>
                      {k}:{v}
                    </Link>
                  ))}
                </td>
              </tr>
            ))}
          </Table>
          {!list.data.results.length && <p class="muted">No predictions match.</p>}
          <nav class="pager" aria-label="Pages">
            {cursor && <Link to={withQuery('/predictions', applied)}>First page</Link>}
            {nextCursor && <Link to={withQuery('/predictions', { ...applied, cursor: nextCursor })}>Next page</Link>}
          </nav>
        </>
      )}
    </Page>
  );
}
