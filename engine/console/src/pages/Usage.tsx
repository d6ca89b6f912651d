/**
 * Usage and cost: cost per day over a chosen range, stacked by model, deployment, token, tag (or
 * another dimension), with totals, the month to date and the month-end projection at the current
 * rate. Everything comes from `GET /v1/usage/daily` and `GET /v1/usage/projection`.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, withQuery } from '../api';
import type { DailyUsage, Projection } from '../api/types';
import { usd } from '../lib/format';
import { placeProblems } from '../lib/problems';
import { topSeries } from '../lib/stack';
import { navigate } from '../router';
import { PALETTE, StackedBars } from '../charts/StackedBars';
import { Field, describedBy } from '../ui/Field';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { useResource } from '../ui/use-resource';
import { Table } from '../ui/Table';

const DAY_MS = 86_400_000;
const RANGES = [
  { id: '7', label: 'Last 7 days' },
  { id: '30', label: 'Last 30 days' },
  { id: '90', label: 'Last 90 days' },
  { id: 'month', label: 'This month' },
];
const STACKS = ['model', 'deployment', 'token', 'version', 'hardware', 'kind', 'tag'];
/** More series than this become "other". */
const MAX_SERIES = 8;

function rangeOf(id: string, now = new Date()): { since: string; until: string } {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const until = new Date(today + DAY_MS);
  const since = id === 'month' ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)) : new Date(today - (Number(id) - 1) * DAY_MS);
  return { since: since.toISOString(), until: until.toISOString() };
}

export function Usage({ query }: { query: URLSearchParams }) {
  const range = query.get('range') ?? '30';
  const stack = query.get('stack_by') ?? 'model';
  const tagKey = query.get('tag') ?? '';
  const [tagDraft, setTagDraft] = useState(tagKey);
  useEffect(() => setTagDraft(tagKey), [tagKey]);
  const stackBy = stack === 'tag' ? `tag:${tagKey}` : stack;
  const { since, until } = rangeOf(RANGES.some((r) => r.id === range) ? range : '30');
  const daily = useResource((signal) => api.get<DailyUsage>(withQuery('/v1/usage/daily', { stack_by: stackBy, since, until }), { signal }), [stackBy, since, until]);
  const projection = useResource((signal) => api.get<Projection>('/v1/usage/projection', { signal }), [since]);
  const go = (change: Record<string, string>) => navigate(withQuery('/usage', { range, stack_by: stack, tag: tagKey, ...change }), { replace: true });
  const placed = placeProblems(daily.error?.errors ?? [], ['stack_by']);
  const shown = daily.data ? topSeries(daily.data.series, MAX_SERIES) : [];
  const p = projection.data;
  return (
    <Page title="Usage and cost" ready={(!!daily.data && !!projection.data) || !!daily.error}>
      <form class="filters" onSubmit={(e) => (e.preventDefault(), go({ tag: tagDraft }))} aria-label="Usage range">
        <Field id="usage-range" label="Range">
          <select id="usage-range" value={range} onChange={(e) => go({ range: e.currentTarget.value })}>
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </Field>
        <Field id="usage-stack" label="Stack by" error={placed.byField.stack_by}>
          <select id="usage-stack" value={stack} onChange={(e) => go({ stack_by: e.currentTarget.value })} {...describedBy('usage-stack', false, placed.byField.stack_by)}>
            {STACKS.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        {stack === 'tag' && (
          <>
            <Field id="usage-tag" label="Tag key" hint="e.g. n8n_workflow_id">
              <input id="usage-tag" value={tagDraft} onInput={(e) => setTagDraft(e.currentTarget.value)} {...describedBy('usage-tag', true, undefined)} />
            </Field>
            <button type="submit">Show</button>
          </>
        )}
      </form>
      <ProblemNotice problem={daily.error} errors={placed.other} />
      <div class="totals" data-testid="usage-totals">
        <div class="stat">
          <span class="stat-label">In this range</span>
          <strong data-testid="range-total">{usd(daily.data?.totals.total_usd)}</strong>
          <span class="muted" data-testid="range-count">
            {daily.data?.totals.count ?? 0} records
          </span>
        </div>
        <div class="stat">
          <span class="stat-label">{p ? `${p.month} so far` : 'This month so far'}</span>
          <strong data-testid="month-to-date">{usd(p?.month_to_date_usd)}</strong>
        </div>
        <div class="stat">
          <span class="stat-label">Projected month end</span>
          <strong data-testid="projection">{usd(p?.projected_month_usd)}</strong>
          <span class="muted">at {usd(p?.rate_usd_per_day)} a day (the trailing week's rate)</span>
        </div>
      </div>
      {daily.data && (
        <section class="card">
          <h2>Cost per day</h2>
          {daily.data.totals.count === 0 ? (
            <p class="muted">No usage in this range.</p>
          ) : (
            <StackedBars days={daily.data.days} series={shown} label={`Cost per day stacked by ${stackBy}`} />
          )}
          <ul class="legend">
            {shown.map((s, i) => (
              <li key={String(s.key)}>
                <span class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" />
                {s.key ?? '(none)'}
              </li>
            ))}
          </ul>
          <Table head={[stackBy, 'Records', 'Cost', 'Today']} testid="usage-series" caption={<>Cost in the range by {stackBy}</>}>
            {daily.data.series.map((s) => (
              <tr key={String(s.key)} data-key={s.key ?? ''}>
                <th scope="row">{s.key ?? '(none)'}</th>
                <td data-col="count">{s.count}</td>
                <td>{usd(s.total_usd)}</td>
                <td data-col="today-count">{s.daily_count[s.daily_count.length - 1]}</td>
              </tr>
            ))}
          </Table>
        </section>
      )}
    </Page>
  );
}
