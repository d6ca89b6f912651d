/**
 * The cluster, followed live: workers with their GPUs (memory in use of each), the instances on
 * each device with their state, queue depth per hardware, and the waiting work with the
 * placement's "does not fit" reasons.
 */
import { api } from '../api';
import type { Cluster as ClusterWire, Instance, Worker } from '../api/types';
import { ago, seconds, shortId } from '../lib/format';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { Status } from '../ui/Status';
import { usePoll, useResource } from '../ui/use-resource';
import { Table } from '../ui/Table';

function Meter({ used, total, label }: { used: number; total: number; label: string }) {
  return <meter min={0} max={total || 1} value={Math.min(used, total || 1)} aria-label={label} title={`${used} of ${total} GB`} />;
}

function InstanceRow({ i }: { i: Instance }) {
  return (
    <li class="instance" data-state={i.state}>
      <Status value={i.state} /> <span class="mono">{i.id}</span> {i.deployment ? <span>{i.deployment}</span> : <span class="mono muted">{shortId(i.version)}</span>}
      <span class="muted"> since {ago(i.since)}</span>
      {i.setup_time !== null && <span class="muted"> · setup {seconds(i.setup_time)}</span>}
      {i.error && <div class="field-error">{i.error}</div>}
    </li>
  );
}

function WorkerCard({ w, instances }: { w: Worker; instances: Instance[] }) {
  const mine = instances.filter((i) => i.worker_id === w.id);
  const onGpu = new Set(w.gpus.flatMap((g) => g.instances));
  const cpu = mine.filter((i) => !onGpu.has(i.id));
  return (
    <section class="card worker" data-testid="worker" aria-label={`Worker ${w.name}`}>
      <h2>
        {w.name} <Status value={w.alive ? 'alive' : 'stale'} />
      </h2>
      <p class="meta">
        <span>heartbeat {ago(w.heartbeat_at)}</span>
        <span>{w.cpu_slots} CPU slots</span>
        <span>serves {w.hardware.join(', ') || 'nothing'}</span>
      </p>
      {w.gpus.length > 0 ? (
        <Table head={['GPU', 'Type', 'Memory in use', 'Instances']} testid="gpus" caption={<>GPUs of {w.name}</>}>
          {w.gpus.map((g) => (
            <tr key={g.index} data-sku={g.sku ?? ''}>
              <th scope="row">#{g.index}</th>
              <td>
                {g.name ?? g.sku} <span class="muted">({g.sku})</span>
              </td>
              <td>
                <Meter used={g.memory_in_use_gb ?? 0} total={g.memory_gb ?? 0} label={`GPU ${g.index} memory`} /> {g.memory_in_use_gb ?? 0} / {g.memory_gb ?? '?'} GB
              </td>
              <td>
                <ul class="plain">
                  {mine
                    .filter((i) => g.instances.includes(i.id))
                    .map((i) => (
                      <InstanceRow key={i.id} i={i} />
                    ))}
                </ul>
                {!g.instances.length && <span class="muted">free</span>}
              </td>
            </tr>
          ))}
        </Table>
      ) : (
        <p class="muted">No GPUs.</p>
      )}
      <h3>On CPU slots</h3>
      {cpu.length ? (
        <ul class="plain">
          {cpu.map((i) => (
            <InstanceRow key={i.id} i={i} />
          ))}
        </ul>
      ) : (
        <p class="muted">No instances.</p>
      )}
      {w.pending.length > 0 && (
        <>
          <h3>Waiting for room here</h3>
          <ul data-testid="pending">
            {w.pending.map((p, n) => (
              <li key={n}>
                <span class="mono">{p.deployment ?? shortId(p.version)}</span> does not fit: {p.reasons.join('; ')}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export function Cluster() {
  const cluster = useResource((signal) => api.get<ClusterWire>('/v1/cluster', { signal }), []);
  usePoll(async () => cluster.setData(await api.get<ClusterWire>('/v1/cluster')), 2000, !!cluster.data);
  const c = cluster.data;
  const byHardware = new Map<string, { queued: number; running: number }>();
  for (const q of c?.queues ?? []) {
    const h = byHardware.get(q.hardware) ?? { queued: 0, running: 0 };
    h.queued += q.queued;
    h.running += q.running;
    byHardware.set(q.hardware, h);
  }
  return (
    <Page title="Cluster" ready={!!c || !!cluster.error}>
      <ProblemNotice problem={cluster.error} />
      {c && (
        <>
          <section class="card">
            <h2>Queue depth per hardware</h2>
            {byHardware.size === 0 ? (
              <p class="muted" data-testid="queues-empty">Nothing queued or running.</p>
            ) : (
              <Table head={['Hardware', 'Queued', 'Running']} testid="queues">
                {[...byHardware].map(([hw, n]) => (
                  <tr key={hw}>
                    <th scope="row">{hw}</th>
                    <td>{n.queued}</td>
                    <td>{n.running}</td>
                  </tr>
                ))}
              </Table>
            )}
            {c.unplaceable.length > 0 && (
              <>
                <h3>Work no live worker can take</h3>
                <ul data-testid="unplaceable">
                  {c.unplaceable.map((q, n) => (
                    <li key={n}>
                      {q.queued} queued for {q.deployment ?? q.model} on {q.hardware}: {q.reason}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
          {c.workers.map((w) => (
            <WorkerCard key={w.id} w={w} instances={c.instances} />
          ))}
          {!c.workers.length && <p class="notice">No worker is running: predictions wait until one joins (gantry worker).</p>}
        </>
      )}
    </Page>
  );
}
