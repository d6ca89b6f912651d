/**
 * Model checks: the past checks, newest first, a page (100) at a time, with each one's result and
 * cost; a check still running shows its progress, and the list reads the API again gently while
 * one does. "New check" opens the form.
 */
import { api, withQuery } from '../api';
import type { Check, Page as ApiPage } from '../api/types';
import { ago, usd } from '../lib/format';
import { Link } from '../ui/Link';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { Status } from '../ui/Status';
import { Table } from '../ui/Table';
import { usePoll, useResource } from '../ui/use-resource';

export const OPEN_CHECK = new Set(['starting', 'processing']);
const LIST_POLL_MS = 5000;

/** A check's result in a few words: the report's verdict and counts, or how far it got. */
export function CheckResult({ check }: { check: Check }) {
  const r = check.report;
  if (!r) return <span class="muted">{OPEN_CHECK.has(check.status) ? `${check.progress.finished} of ${check.progress.planned} runs` : 'no report'}</span>;
  return (
    <span>
      <Status value={r.status} />{' '}
      <span class="muted">
        {r.counts.pass} pass · {r.counts.warn} warn · {r.counts.fail} fail · {r.counts.skipped} skipped
      </span>
    </span>
  );
}

export function Checks({ query }: { query: URLSearchParams }) {
  const cursor = query.get('cursor') ?? '';
  const list = useResource((signal) => api.get<ApiPage<Check>>(withQuery('/v1/checks', { cursor }), { signal }), [cursor]);
  const open = (list.data?.results ?? []).some((c) => OPEN_CHECK.has(c.status));
  usePoll(async () => list.setData(await api.get<ApiPage<Check>>(withQuery('/v1/checks', { cursor }))), LIST_POLL_MS, open);
  const nextCursor = list.data?.next ? new URL(list.data.next).searchParams.get('cursor') : null;
  return (
    <Page
      title="Model checks"
      ready={!!list.data || !!list.error}
      subtitle="Does a model hold up in production? A check runs it for real: consistency, cold start, runtime, worst case, hardware, timeouts, cost, licence, versions."
      actions={
        <Link to="/checks/new" class="button">
          New check
        </Link>
      }
    >
      <ProblemNotice problem={list.error} />
      {list.data && (
        <>
          <Table head={['Check', 'Model', 'Status', 'Result', 'Cost', 'Created']} testid="check-list">
            {list.data.results.map((c) => (
              <tr key={c.id} data-id={c.id}>
                <th scope="row">
                  <Link to={`/checks/${c.id}`} class="mono">
                    {c.id}
                  </Link>
                </th>
                <td>
                  <Link to={`/models/${c.model}`}>{c.model}</Link>
                  {c.deployment && <div class="muted">via {c.deployment}</div>}
                </td>
                <td>
                  <Status value={c.status} />
                </td>
                <td>
                  <CheckResult check={c} />
                </td>
                <td>{usd(c.report?.totals.cost_usd)}</td>
                <td title={c.created_at}>{ago(c.created_at)}</td>
              </tr>
            ))}
          </Table>
          {!list.data.results.length && (
            <p class="muted">
              No checks yet. Start one with <Link to="/checks/new">New check</Link>, or from a model's page.
            </p>
          )}
          <nav class="pager" aria-label="Pages">
            {cursor && <Link to="/checks">First page</Link>}
            {nextCursor && <Link to={withQuery('/checks', { cursor: nextCursor })}>Next page</Link>}
          </nav>
        </>
      )}
    </Page>
  );
}
