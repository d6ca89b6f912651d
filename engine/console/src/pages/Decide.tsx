/**
 * Decide: should this usage stay here, move to Replicate, or run on rented GPUs? For a period and
 * a grouping (model or deployment) `GET /v1/decide` gives, per group, the usage and the cost of
 * that same usage under each option, break-even utilisations and a recommendation; the page shows
 * the options side by side, then each group in full. Prices can be changed in the table below;
 * applying them asks `POST /v1/decide` with those prices. The period and grouping are the URL's
 * query, so a view can be shared; every error shows beside the field (or price) it names.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, withQuery } from '../api';
import type { Decision } from '../api/types';
import { percent, seconds, usd, when } from '../lib/format';
import { emptyPriceDraft, gpuTypes, priceOverrides, pricePointers, skusInUse, type PriceDraft } from '../lib/price-overrides';
import { placeByPointer } from '../lib/problems';
import { navigate } from '../router';
import { Field, describedBy } from '../ui/Field';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { Table } from '../ui/Table';
import { useResource } from '../ui/use-resource';
import { GroupCard } from './decide/GroupCard';
import { groupName, OPTION_KEYS, OPTION_LABEL } from './decide/options';
import { PriceForm } from './decide/PriceForm';

const GROUPS = ['model', 'deployment'];
const PERIOD_POINTERS = ['/since', '/until', '/group_by'];

/** The page's query: the period (ISO dates or "that long ago", as the API reads them) and the grouping. */
type Period = Record<'since' | 'until' | 'group_by', string>;

export function Decide({ query }: { query: URLSearchParams }) {
  const period: Period = { since: query.get('since') ?? '30d', until: query.get('until') ?? '', group_by: query.get('group_by') ?? 'model' };
  const key = `${period.since}|${period.until}|${period.group_by}`;
  const [draft, setDraft] = useState<Period>(period);
  useEffect(() => setDraft(period), [key]);
  const [prices, setPrices] = useState<PriceDraft>(emptyPriceDraft);
  /** The prices in force (the body's `prices`) and how many times they were applied (a retry reloads). */
  const [applied, setApplied] = useState<{ prices: Record<string, unknown> | undefined; n: number }>({ prices: undefined, n: 0 });
  const decision = useResource(
    (signal) =>
      applied.prices
        ? api.post<Decision>('/v1/decide', { since: period.since, until: period.until || undefined, group_by: period.group_by, prices: applied.prices }, { signal })
        : api.get<Decision>(withQuery('/v1/decide', period), { signal }),
    [key, applied.n],
  );
  const d = decision.data;
  const skus = d && skusInUse(d.groups, d.prices);
  const pointers = d && skus ? pricePointers(prices, d.prices, [...skus.used, ...skus.others], gpuTypes(skus.used, d.prices)) : [];
  const placed = placeByPointer(decision.error?.errors ?? [], [...PERIOD_POINTERS, ...pointers]);
  const err = (p: string) => placed.byPointer[p];
  const apply = (e: Event) => {
    e.preventDefault();
    navigate(withQuery('/decide', draft), { replace: true });
  };
  const applyPrices = () => d && setApplied((a) => ({ prices: priceOverrides(prices, d.prices), n: a.n + 1 }));
  const resetPrices = () => {
    setPrices(emptyPriceDraft());
    setApplied((a) => ({ prices: undefined, n: a.n + 1 }));
  };
  return (
    <Page
      title="Decide"
      ready={!!d || !!decision.error}
      subtitle="What this usage cost here, and what the same usage would cost on Replicate (public or private) or on rented GPUs."
    >
      <form class="filters align-top" onSubmit={apply} noValidate aria-label="Period">
        <Field id="decide-since" label="Since" error={err('/since')} hint="A date (2026-11-01) or a time ago: 30d, 12h.">
          <input id="decide-since" value={draft.since} onInput={(e) => setDraft({ ...draft, since: e.currentTarget.value })} {...describedBy('decide-since', true, err('/since'))} />
        </Field>
        <Field id="decide-until" label="Until" error={err('/until')} hint="Empty: now.">
          <input id="decide-until" value={draft.until} onInput={(e) => setDraft({ ...draft, until: e.currentTarget.value })} {...describedBy('decide-until', true, err('/until'))} />
        </Field>
        <Field id="decide-group" label="Group by" error={err('/group_by')}>
          <select id="decide-group" value={draft.group_by} onChange={(e) => setDraft({ ...draft, group_by: e.currentTarget.value })} {...describedBy('decide-group', false, err('/group_by'))}>
            {GROUPS.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </Field>
        <div class="form-actions">
          <button type="submit">Show</button>
        </div>
      </form>
      {/* The detail repeats the field errors; it shows only when an error names no field here. */}
      <ProblemNotice problem={placed.other.length || !Object.keys(placed.byPointer).length ? decision.error : undefined} errors={placed.other} />
      {d && (
        <>
          <p class="muted" data-testid="decide-period">
            {when(d.since)} → {when(d.until)} ({seconds(d.period_seconds)}), grouped by {d.group_by}. <a href="#prices">Change the prices</a>
          </p>
          <p class="notice recommendation" data-testid="recommendation">
            {d.recommendation}
          </p>
          {d.groups.length > 0 && (
            <section class="card">
              <h2>Options side by side</h2>
              <Table head={[d.group_by === 'model' ? 'Model' : 'Deployment', 'Runs', 'Utilisation', ...OPTION_KEYS.map((k) => OPTION_LABEL[k]), 'Cheapest']} testid="decide-table" caption="Cost of each group under each option">
                {d.groups.map((g) => (
                  <tr key={String(g.key)} data-key={g.key ?? ''}>
                    <th scope="row">
                      <a href={`#group-${g.key ?? ''}`}>{groupName(g.key)}</a>
                    </th>
                    <td data-col="predictions">{g.predictions}</td>
                    <td data-col="utilisation">{percent(g.utilisation)}</td>
                    {OPTION_KEYS.map((k) => (
                      <td key={k} data-option={k} data-usd={g.options[k].total_usd ?? ''} class={g.cheapest === k ? 'cheapest' : undefined}>
                        {g.options[k].total_usd === null ? 'no price' : usd(g.options[k].total_usd)}
                      </td>
                    ))}
                    <td data-col="cheapest">{OPTION_LABEL[g.cheapest]}</td>
                  </tr>
                ))}
                <tr data-key="(total)" class="total">
                  <th scope="row">Total</th>
                  <td>{d.groups.reduce((s, g) => s + g.predictions, 0)}</td>
                  <td />
                  {OPTION_KEYS.map((k) => (
                    <td key={k} data-option={k} data-usd={d.totals[k] ?? ''}>
                      {d.totals[k] === null ? 'no price' : usd(d.totals[k])}
                    </td>
                  ))}
                  <td />
                </tr>
              </Table>
            </section>
          )}
          {d.groups.map((g) => (
            <div key={String(g.key)} id={`group-${g.key ?? ''}`}>
              <GroupCard group={g} />
            </div>
          ))}
          <PriceForm decision={d} draft={prices} onChange={setPrices} errors={placed.byPointer} onApply={applyPrices} onReset={resetPrices} busy={decision.loading} />
        </>
      )}
    </Page>
  );
}
