/**
 * One prediction: input, output preview, logs (streaming while it runs), timings (queue, setup,
 * predict; cold start), cost, tags and webhook deliveries; cancel while it runs.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem, withQuery } from '../api';
import type { Prediction, WebhookDelivery } from '../api/types';
import { shortId, when } from '../lib/format';
import { KeyValues } from '../ui/KeyValues';
import { Link } from '../ui/Link';
import { OutputPreview } from '../ui/OutputPreview';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { CostSummary, Timings } from '../ui/RunResult';
import { Status } from '../ui/Status';
import { usePrediction } from '../ui/use-prediction';
import { useResource } from '../ui/use-resource';
import { Table } from '../ui/Table';

function Deliveries({ id, done }: { id: string; done: boolean }) {
  const list = useResource((signal) => api.get<{ results: WebhookDelivery[] }>(`/v1/predictions/${id}/webhooks`, { signal }), [id, done]);
  if (list.error) return <ProblemNotice problem={list.error} />;
  const rows = list.data?.results ?? [];
  if (!rows.length) return <p class="muted">No webhook deliveries{list.data ? '' : ' yet'}.</p>;
  return (
    <Table head={['Event', 'URL', 'State', 'Attempts', 'Last answer', 'Sent']} testid="deliveries">
      {rows.map((d) => (
        <tr key={d.id}>
          <td>{d.event}</td>
          <td class="mono break">{d.url}</td>
          <td>
            <Status value={d.status} />
            {d.next_attempt_at && <div class="muted">next try {when(d.next_attempt_at)}</div>}
          </td>
          <td>{d.attempts}</td>
          <td>{d.last_status ?? d.last_error ?? '—'}</td>
          <td>{when(d.delivered_at ?? d.created_at)}</td>
        </tr>
      ))}
    </Table>
  );
}

export function PredictionPage({ id }: { id: string }) {
  const first = useResource((signal) => api.get<Prediction>(`/v1/predictions/${id}`, { signal }), [id]);
  const run = usePrediction(first.data);
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const [canceling, setCanceling] = useState(false);
  useEffect(() => setProblem(undefined), [id]);
  const p = run.prediction;
  const cancel = async () => {
    setCanceling(true);
    try {
      await api.post(`/v1/predictions/${id}/cancel`);
    } catch (err) {
      setProblem(err as ApiProblem);
    } finally {
      setCanceling(false);
    }
  };
  return (
    <Page
      title={`Prediction ${id}`}
      ready={!!p || !!first.error}
      subtitle={p && <Status value={p.status} />}
      actions={
        p &&
        !run.done && (
          <button type="button" class="danger" onClick={cancel} disabled={canceling}>
            {canceling ? 'Canceling…' : 'Cancel'}
          </button>
        )
      }
    >
      <ProblemNotice problem={first.error ?? problem} />
      {p && (
        <div class="detail-grid">
          <section class="card">
            <h2>About</h2>
            <KeyValues
              rows={[
                ['Model', <Link to={`/models/${p.model}`}>{p.model}</Link>],
                ['Version', <Link to={withQuery(`/models/${p.model}/versions`, { version: p.version })} class="mono">{shortId(p.version)}</Link>],
                ['Deployment', p.deployment ? <Link to={`/deployments/${p.deployment}`}>{p.deployment}</Link> : '—'],
                ['Source', p.source],
                ['Created', when(p.created_at)],
                ['Started', when(p.started_at)],
                ['Completed', when(p.completed_at)],
                [
                  'Tags',
                  Object.keys(p.tags ?? {}).length
                    ? Object.entries(p.tags ?? {}).map(([k, v]) => (
                        <Link key={k} class="chip" to={withQuery('/predictions', { tag: `${k}:${v}` })}>
                          {k}:{v}
                        </Link>
                      ))
                    : '—',
                ],
              ]}
            />
          </section>
          <section class="card">
            <h2>Timings</h2>
            <Timings p={p} />
            <h2>Cost</h2>
            <CostSummary p={p} />
          </section>
          <section class="card wide">
            <h2>Input</h2>
            {p.data_removed ? <p class="muted">Removed by data retention.</p> : <pre class="input-json">{JSON.stringify(p.input, null, 2)}</pre>}
          </section>
          <section class="card wide">
            <h2>Output</h2>
            {p.error && (
              <p class="field-error" role="alert">
                {p.error}
              </p>
            )}
            {p.data_removed ? (
              <p class="muted">Removed by data retention.</p>
            ) : (
              <div aria-live="polite">
                <OutputPreview output={run.output} />
              </div>
            )}
            {run.done && !p.data_removed && (
              <Link to={withQuery(`/models/${p.model}/playground`, { from: p.id, version: p.version })}>Open this input in the playground</Link>
            )}
          </section>
          <section class="card wide">
            <h2>Logs</h2>
            <pre class="logs" data-testid="logs" aria-live="polite">
              {run.logs || (run.done ? '(none)' : 'waiting for logs…')}
            </pre>
          </section>
          <section class="card wide">
            <h2>Webhook deliveries</h2>
            {p.webhook && (
              <p class="muted">
                Webhook: <span class="mono break">{p.webhook}</span>
              </p>
            )}
            <Deliveries id={id} done={run.done} />
          </section>
        </div>
      )}
    </Page>
  );
}
