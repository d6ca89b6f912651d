/**
 * A deployment: its live instances (followed every second) with their state, the cost so far
 * split into predictions, setup and idle time, the idle-cost warnings, the edit form, and delete.
 */
import { useState } from 'preact/hooks';
import { api, ApiProblem, withQuery } from '../api';
import type { Deployment, Price } from '../api/types';
import { idleCostWarnings } from '../lib/deployment-cost';
import { ago, seconds, shortId, usd, when } from '../lib/format';
import { navigate } from '../router';
import { KeyValues } from '../ui/KeyValues';
import { Link } from '../ui/Link';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { Status } from '../ui/Status';
import { usePoll, useResource } from '../ui/use-resource';
import { DeploymentForm } from './DeploymentForm';
import { Table } from '../ui/Table';

export function DeploymentPage({ owner, name }: { owner: string; name: string }) {
  const path = `/v1/deployments/${owner}/${name}`;
  const dep = useResource((signal) => api.get<Deployment>(path, { signal }), [path]);
  const prices = useResource((signal) => api.get<{ results: Price[] }>('/v1/prices', { signal }), []);
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const [editing, setEditing] = useState(false);
  usePoll(async () => dep.setData(await api.get<Deployment>(path)), 1000, !!dep.data);
  const d = dep.data;
  const remove = async () => {
    if (!confirm(`Delete ${owner}/${name}? Its predictions in flight are canceled and its instances stop.`)) return;
    try {
      await api.delete(path);
      navigate('/deployments');
    } catch (err) {
      setProblem(err as ApiProblem);
    }
  };
  const cfg = d?.current_release.configuration;
  const price = prices.data?.results.find((p) => p.sku === cfg?.hardware)?.price_per_second_usd;
  const warnings = d ? idleCostWarnings(d, price) : [];
  return (
    <Page
      title={`${owner}/${name}`}
      ready={!!d || !!dep.error}
      actions={
        d && (
          <>
            <button type="button" class="secondary" onClick={() => setEditing(!editing)} aria-expanded={editing}>
              {editing ? 'Close editor' : 'Edit'}
            </button>
            <button type="button" class="danger" onClick={remove}>
              Delete
            </button>
          </>
        )
      }
    >
      <ProblemNotice problem={dep.error ?? problem} />
      {warnings.map((w) => (
        <div key={w.kind} class="notice warn" role="status" data-testid={`warning-${w.kind}`}>
          {w.message}
        </div>
      ))}
      {d && cfg && (
        <div class="detail-grid">
          {editing && (
            <section class="card wide">
              <h2>Edit</h2>
              <DeploymentForm existing={d} onSaved={(saved) => (dep.setData(saved), setEditing(false))} />
            </section>
          )}
          <section class="card">
            <h2>Release {d.current_release.number}</h2>
            <KeyValues
              rows={[
                ['Model', <Link to={`/models/${d.current_release.model}`}>{d.current_release.model}</Link>],
                ['Version', <span class="mono">{shortId(d.current_release.version)}</span>],
                ['Hardware', `${cfg.hardware}${price !== undefined ? ` · ${usd(price * 3600)} an hour per instance` : ''}`],
                ['Instances', `min ${cfg.min_instances}, max ${cfg.max_instances}${cfg.max_instances === 0 ? ' (disabled)' : ''}`],
                ['Released', when(d.current_release.created_at)],
                ['Predictions', <Link to={withQuery('/predictions', { deployment: `${owner}/${name}` })}>see its predictions</Link>],
              ]}
            />
          </section>
          <section class="card">
            <h2>Cost so far: {usd(d.cost_so_far_usd)}</h2>
            <Table head={['Part', 'Records', 'Quantity', 'Cost']} testid="cost-breakdown">
              {(['prediction', 'setup', 'idle'] as const).map((k) => (
                <tr key={k}>
                  <th scope="row">{k === 'prediction' ? 'Predictions' : k === 'setup' ? 'Setup (boots)' : 'Idle instances'}</th>
                  <td>{d.cost_breakdown[k]?.count ?? 0}</td>
                  <td>{k === 'prediction' ? d.cost_breakdown[k]?.quantity ?? 0 : seconds(d.cost_breakdown[k]?.quantity ?? 0)}</td>
                  <td>{usd(d.cost_breakdown[k]?.total_usd ?? 0)}</td>
                </tr>
              ))}
            </Table>
          </section>
          <section class="card wide">
            <h2>Instances</h2>
            {d.instances.length === 0 ? (
              <p class="muted" data-testid="no-instances">
                No instance is running{cfg.min_instances === 0 ? ': one starts when a prediction arrives.' : ' yet.'}
              </p>
            ) : (
              <Table head={['Instance', 'State', 'Since', 'Setup', 'Last used', 'Devices']} testid="instances">
                {d.instances.map((i) => (
                  <tr key={i.id}>
                    <th scope="row" class="mono">
                      {i.id}
                    </th>
                    <td>
                      <Status value={i.state} />
                      {i.error && <div class="field-error">{i.error}</div>}
                    </td>
                    <td title={i.since}>{ago(i.since)}</td>
                    <td>{seconds(i.setup_time)}</td>
                    <td>{ago(i.last_used_at)}</td>
                    <td>{JSON.stringify(i.devices)}</td>
                  </tr>
                ))}
              </Table>
            )}
          </section>
        </div>
      )}
    </Page>
  );
}
