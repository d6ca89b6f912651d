/**
 * A prediction's result as the playground and the prediction page show it: status, output
 * preview (as it streams), timings and cost.
 */
import type { ComponentChildren } from 'preact';
import type { Prediction } from '../api/types';
import { seconds, usd } from '../lib/format';
import { KeyValues } from './KeyValues';
import { Link } from './Link';
import { OutputPreview } from './OutputPreview';
import { Status } from './Status';
import type { Followed } from './use-prediction';

export function Timings({ p }: { p: Prediction }) {
  const m = p.metrics ?? {};
  const rows: Array<[string, ComponentChildren]> = [
    ['Queue', seconds(m.queue_time)],
    ['Setup', m.setup_time !== undefined ? `${seconds(m.setup_time)}${m.cold_start ? ' (cold start)' : ''}` : 'none (warm instance)'],
    ['Predict', seconds(m.predict_time)],
    ['Total', seconds(m.total_time)],
  ];
  for (const key of ['input_token_count', 'output_token_count', 'image_count', 'audio_output_seconds', 'time_to_first_token', 'tokens_per_second']) {
    if (m[key] !== undefined) rows.push([key.replace(/_/g, ' '), String(m[key])]);
  }
  return <KeyValues rows={rows} testid="timings" />;
}

export function CostSummary({ p }: { p: Prediction }) {
  if (!p.cost) return <p class="muted">{p.status === 'succeeded' || p.status === 'failed' ? 'No cost recorded.' : 'Cost is known when it ends.'}</p>;
  const c = p.cost;
  const lines = c.items ?? [c];
  return (
    <div class="cost" data-testid="cost">
      <p class="cost-total">
        <strong data-testid="cost-total">{usd(c.total_usd)}</strong> on {c.hardware}
      </p>
      <ul class="cost-lines">
        {lines.map((l, i) => (
          <li key={i}>
            {l.rule.replace(/_/g, ' ')}: {l.quantity} × {usd(l.unit_price_usd)} = {usd(l.total_usd)}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function RunResult({ followed }: { followed: Followed }) {
  const p = followed.prediction!;
  return (
    <div class="run-result" data-testid="run-result" data-status={p.status}>
      <p>
        <Status value={p.status} /> <Link to={`/predictions/${p.id}`}>{p.id}</Link>
      </p>
      {p.error && (
        <p class="field-error" role="alert">
          {p.error}
        </p>
      )}
      <div aria-live="polite">
        <OutputPreview output={followed.output} />
      </div>
      {followed.done && (
        <div class="result-facts">
          <section>
            <h3>Metrics</h3>
            <Timings p={p} />
          </section>
          <section>
            <h3>Cost</h3>
            <CostSummary p={p} />
          </section>
        </div>
      )}
      {followed.logs && (
        <details>
          <summary>Logs</summary>
          <pre class="logs">{followed.logs}</pre>
        </details>
      )}
    </div>
  );
}
