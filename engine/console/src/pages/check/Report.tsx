/**
 * A check's report: the verdict and counts, what the check cost, every checklist item with its
 * status and summary (a skipped item's summary says why), then each item with its figures (open
 * when it warns or fails), and the runs with links to their predictions.
 */
import type { CheckReport, CheckRun } from '../../api/types';
import { seconds, shortId, usd } from '../../lib/format';
import { KeyValues } from '../../ui/KeyValues';
import { Link } from '../../ui/Link';
import { Status } from '../../ui/Status';
import { Table } from '../../ui/Table';
import { withQuery } from '../../api';
import { Figures } from './Figures';

function Runs({ runs, label, testid }: { runs: CheckRun[]; label: string; testid: string }) {
  return (
    <Table head={['Run', 'Purpose', 'Hardware', 'Status', 'Prediction', 'Predict', 'Total', 'Cost']} testid={testid} caption={label}>
      {runs.map((r) => (
        <tr key={`${r.key}.${r.attempt}`} data-run={r.key}>
          <th scope="row">
            {r.key}
            {r.label && <div class="muted">{r.label}</div>}
            {r.attempt > 1 && <div class="muted">attempt {r.attempt}</div>}
          </th>
          <td>
            {r.purpose}
            {r.target === 'compare' && <div class="muted">{r.model}</div>}
          </td>
          <td>{r.hardware}</td>
          <td>
            <Status value={r.status} />
            {r.cold_start && <div class="muted">cold start</div>}
            {r.error && <div class="muted break">{r.error}</div>}
          </td>
          <td>
            {r.prediction_id ? (
              <Link to={`/predictions/${r.prediction_id}`} class="mono">
                {r.prediction_id}
              </Link>
            ) : (
              '—'
            )}
          </td>
          <td>{seconds(r.predict_time_s)}</td>
          <td>{seconds(r.total_time_s)}</td>
          <td>{usd(r.cost_usd)}</td>
        </tr>
      ))}
    </Table>
  );
}

/** Opens an item's details before the link scrolls to it. */
function openItem(key: string) {
  const el = document.getElementById(`item-${key}`);
  if (el instanceof HTMLDetailsElement) el.open = true;
}

export function Report({ checkId, report }: { checkId: string; report: CheckReport }) {
  const c = report.counts;
  return (
    <div class="report" data-testid="report" data-status={report.status}>
      <section class="card">
        <h2>
          Result <Status value={report.status} />
        </h2>
        <p data-testid="report-counts">
          {c.pass} pass, {c.warn} warn, {c.fail} fail, {c.skipped} skipped.
        </p>
        {report.stopped && (
          <p class="notice warn" role="status">
            The check stopped early: {report.stopped}.
          </p>
        )}
        <KeyValues
          testid="report-totals"
          rows={[
            ['Model', <Link to={`/models/${report.model}`}>{report.model}</Link>],
            ['Version', <code title={report.version}>{shortId(report.version)}</code>],
            ['Hardware', report.hardware],
            ...(report.compare_with ? ([['Compared with', `${report.compare_with.model}:${shortId(report.compare_with.version)}`]] as Array<[string, string]>) : []),
            ['Predictions', <Link to={withQuery('/predictions', { tag: `gantry_check:${checkId}` })}>{report.totals.predictions} predictions (tagged gantry_check)</Link>],
            ['Cost', usd(report.totals.cost_usd)],
            ['Predict time', seconds(report.totals.predict_time_s)],
          ]}
        />
        <Table head={['Item', 'Status', 'Summary']} testid="report-items" caption="Checklist items">
          {report.items.map((i) => (
            <tr key={i.key} data-key={i.key} data-item-status={i.status}>
              <th scope="row">
                <a href={`#item-${i.key}`} onClick={() => openItem(i.key)}>
                  {i.title}
                </a>
              </th>
              <td>
                <Status value={i.status} />
              </td>
              <td>{i.summary}</td>
            </tr>
          ))}
        </Table>
      </section>
      <h2 class="section-title">Items and their figures</h2>
      {report.items.map((i) => (
        // Items that warn or fail are open: that is what to read first.
        <details key={i.key} class="card item" id={`item-${i.key}`} data-item={i.key} open={i.status === 'warn' || i.status === 'fail'}>
          <summary>
            <h3>
              {i.title} <Status value={i.status} />
            </h3>
          </summary>
          <p class="item-summary">{i.summary}</p>
          <p class="hint">{i.description}</p>
          <Figures itemKey={i.key} figures={i.figures} />
        </details>
      ))}
      <section class="card">
        <h2>Runs</h2>
        <Runs runs={report.runs} label="The runs of the check" testid="report-runs" />
        {report.superseded_runs.length > 0 && (
          <>
            <h3>Made again</h3>
            <p class="hint">Attempts an engine restart interrupted; the check made them again. They count in the totals.</p>
            <Runs runs={report.superseded_runs} label="Interrupted attempts" testid="superseded-runs" />
          </>
        )}
      </section>
    </div>
  );
}
