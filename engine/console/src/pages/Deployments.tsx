/** Deployments: each with its release, instances by state and cost so far; and the form for a new one. */
import { api } from '../api';
import type { Deployment, Page as ApiPage } from '../api/types';
import { shortId, usd } from '../lib/format';
import { navigate } from '../router';
import { Link } from '../ui/Link';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { usePoll, useResource } from '../ui/use-resource';
import { DeploymentForm } from './DeploymentForm';
import { Table } from '../ui/Table';

function states(d: Deployment): string {
  const counts = new Map<string, number>();
  for (const i of d.instances) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  return counts.size ? [...counts].map(([s, n]) => `${n} ${s}`).join(', ') : 'none';
}

export function Deployments() {
  const list = useResource((signal) => api.get<ApiPage<Deployment>>('/v1/deployments', { signal }), []);
  usePoll(async () => list.setData(await api.get<ApiPage<Deployment>>('/v1/deployments')), 3000, !!list.data);
  return (
    <Page title="Deployments" ready={!!list.data || !!list.error} actions={<Link to="/deployments/new" class="button">New deployment</Link>}>
      <ProblemNotice problem={list.error} />
      {list.data && !list.data.results.length && <p class="muted">No deployments yet. A deployment keeps a version on chosen hardware between min and max instances.</p>}
      {list.data && list.data.results.length > 0 && (
        <Table head={['Deployment', 'Model', 'Hardware', 'Min / max', 'Instances', 'Cost so far']} testid="deployment-list">
          {list.data.results.map((d) => (
            <tr key={`${d.owner}/${d.name}`}>
              <th scope="row">
                <Link to={`/deployments/${d.owner}/${d.name}`}>
                  {d.owner}/{d.name}
                </Link>
              </th>
              <td>
                {d.current_release.model} <span class="mono muted">{shortId(d.current_release.version)}</span>
              </td>
              <td>{d.current_release.configuration.hardware}</td>
              <td>
                {d.current_release.configuration.min_instances} / {d.current_release.configuration.max_instances}
              </td>
              <td>{states(d)}</td>
              <td>{usd(d.cost_so_far_usd)}</td>
            </tr>
          ))}
        </Table>
      )}
    </Page>
  );
}

export function NewDeployment() {
  return (
    <Page title="New deployment" ready>
      <DeploymentForm onSaved={(d) => navigate(`/deployments/${d.owner}/${d.name}`)} />
    </Page>
  );
}
