/**
 * One group of the decision: what it used in the period (runs, active, setup and idle seconds,
 * concurrency, utilisation, per SKU), what that usage costs under each option and how each is
 * computed, the dedicated rental behind the dedicated option, and the break-even utilisations.
 */
import type { DecideGroup, DedicatedRow, OptionKey } from '../../api/types';
import { percent, seconds, usd } from '../../lib/format';
import { Table } from '../../ui/Table';
import { groupName, OPTION_KEYS, OPTION_LABEL } from './options';

function Dedicated({ rows }: { rows: DedicatedRow[] }) {
  if (!rows.length) return null;
  return (
    <>
      <h3>Dedicated rental</h3>
      <Table head={['SKU', 'Instances', 'GPUs each', 'GPU-hours', 'Provider', '$/GPU-hour', 'Cost', 'Other providers']} caption="Dedicated GPUs rented for the period">
        {rows.map((r) => (
          <tr key={r.sku} data-sku={r.sku}>
            <th scope="row">{r.sku}</th>
            <td>{r.instances}</td>
            <td>{r.gpus_per_instance}</td>
            <td>{r.gpu_hours}</td>
            <td>{r.provider}</td>
            <td>{usd(r.per_gpu_hour_usd)}</td>
            <td data-usd={r.total_usd}>{usd(r.total_usd)}</td>
            <td>
              {r.alternatives
                .filter((a) => a.provider !== r.provider)
                .map((a) => `${a.provider} ${usd(a.total_usd)}`)
                .join(', ') || '—'}
            </td>
          </tr>
        ))}
      </Table>
    </>
  );
}

export function GroupCard({ group: g }: { group: DecideGroup }) {
  const name = groupName(g.key);
  const figures: Array<[string, string, string]> = [
    ['predictions', 'Runs', String(g.predictions)],
    ['active_seconds', 'Active', seconds(g.active_seconds)],
    ['setup_seconds', 'Setup', seconds(g.setup_seconds)],
    ['idle_seconds', 'Idle', seconds(g.idle_seconds)],
    ['peak_concurrency', 'Peak concurrency', String(g.peak_concurrency)],
    ['mean_concurrency', 'Mean concurrency', String(g.mean_concurrency)],
    ['utilisation', 'Utilisation', percent(g.utilisation)],
  ];
  const dedicated = g.options.dedicated;
  return (
    <section class="card decide-group" data-group={g.key ?? ''} aria-label={name}>
      <h2>{name}</h2>
      <p class="recommendation" data-testid="group-recommendation">
        {g.recommendation}
      </p>
      <div class="decide-facts">
        <dl class="kv" data-testid="group-usage">
          {figures.map(([key, label, value]) => (
            <div key={key} data-figure={key}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
        {g.deployments.length > 0 && (
          <p class="muted">
            Deployments: {g.deployments.map((d) => `${d.name} (${d.hardware}, min ${d.min_instances})`).join(', ')}
          </p>
        )}
      </div>
      <h3>Per hardware</h3>
      <Table head={['SKU', 'Runs', 'Active', 'Setup', 'Idle', 'Peak', 'Utilisation', 'Min-instance time', "Replicate's $/s"]} testid="group-hardware" caption={`Usage of ${name} per hardware`}>
        {g.hardware.map((h) => (
          <tr key={h.sku} data-sku={h.sku}>
            <th scope="row">{h.sku}</th>
            <td data-col="predictions">{h.predictions}</td>
            <td>{seconds(h.active_seconds)}</td>
            <td>{seconds(h.setup_seconds)}</td>
            <td>{seconds(h.idle_seconds)}</td>
            <td>{h.peak_concurrency}</td>
            <td>{percent(h.utilisation)}</td>
            <td>{seconds(h.min_instances_seconds)}</td>
            <td>{usd(h.replicate_per_second_usd)}</td>
          </tr>
        ))}
      </Table>
      <h3>Options</h3>
      <Table head={['Option', 'Cost', 'Grows with use', 'Fixed', 'How it is computed']} testid="group-options" caption={`Cost of ${name} under each option`}>
        {OPTION_KEYS.map((k) => {
          const o = g.options[k];
          const fixed = o.total_usd !== null && o.variable_usd !== null ? o.total_usd - o.variable_usd : null;
          return (
            <tr key={k} data-option={k} class={g.cheapest === k ? 'cheapest' : undefined}>
              <th scope="row">
                {OPTION_LABEL[k]}
                {g.cheapest === k && <span class="badge s-pass"> cheapest</span>}
              </th>
              <td data-col="total" data-usd={o.total_usd ?? ''}>
                {o.total_usd === null ? 'no price' : usd(o.total_usd)}
              </td>
              <td data-col="variable">{usd(o.variable_usd)}</td>
              <td data-col="fixed">{usd(fixed)}</td>
              <td>
                {o.basis}
                {o.unavailable?.length ? <ul class="muted">{o.unavailable.map((u) => <li key={u}>{u}</li>)}</ul> : null}
              </td>
            </tr>
          );
        })}
      </Table>
      {Array.isArray(dedicated.by_hardware) && <Dedicated rows={dedicated.by_hardware} />}
      <h3>Break-even utilisation</h3>
      {g.break_even_utilisation.length ? (
        <Table head={['Options', 'Break-even', 'Reachable', 'Cheaper above it', 'Cheaper now']} testid="group-break-even" caption={`Break-even utilisations of ${name}`}>
          {g.break_even_utilisation.map((b) => (
            <tr key={b.options.join('-')} data-pair={b.options.join(' ')}>
              <th scope="row">
                {OPTION_LABEL[b.options[0]]} vs {OPTION_LABEL[b.options[1]]}
              </th>
              <td data-col="utilisation">{b.utilisation === null ? 'never (they scale alike)' : percent(b.utilisation)}</td>
              <td>{b.reachable ? 'yes' : 'no'}</td>
              <td>{b.cheaper_above ? OPTION_LABEL[b.cheaper_above as OptionKey] : '—'}</td>
              <td>{OPTION_LABEL[b.cheaper_now]}</td>
            </tr>
          ))}
        </Table>
      ) : (
        <p class="muted">No break-even: the group has no active time in the period.</p>
      )}
    </section>
  );
}
