/** Which page answers which console path. The first pattern that matches wins. */
import type { VNode } from 'preact';
import { matchRoute } from './lib/route-match';
import { Models } from './pages/Models';
import { ModelPage } from './pages/ModelPage';
import { Predictions } from './pages/Predictions';
import { PredictionPage } from './pages/PredictionPage';
import { Deployments, NewDeployment } from './pages/Deployments';
import { DeploymentPage } from './pages/DeploymentPage';
import { Usage } from './pages/Usage';
import { Cluster } from './pages/Cluster';
import { Tokens } from './pages/Tokens';
import { Checks } from './pages/Checks';
import { NewCheck } from './pages/NewCheck';
import { CheckPage } from './pages/CheckPage';
import { Decide } from './pages/Decide';
import { NotFound } from './pages/NotFound';

type Render = (params: Record<string, string>, query: URLSearchParams) => VNode;

const ROUTES: Array<[string, Render]> = [
  // `/console/` itself shows the models (the app then rewrites the URL to /console/models).
  ['/', (_p, q) => <Models query={q} />],
  ['/models', (_p, q) => <Models query={q} />],
  ['/models/:owner/:name/:tab?', (p, q) => <ModelPage key={`${p.owner}/${p.name}`} owner={p.owner} name={p.name} tab={p.tab} query={q} />],
  ['/predictions', (_p, q) => <Predictions query={q} />],
  ['/predictions/:id', (p) => <PredictionPage key={p.id} id={p.id} />],
  ['/deployments', () => <Deployments />],
  ['/deployments/new', () => <NewDeployment />],
  ['/deployments/:owner/:name', (p) => <DeploymentPage key={`${p.owner}/${p.name}`} owner={p.owner} name={p.name} />],
  ['/usage', (_p, q) => <Usage query={q} />],
  ['/cluster', () => <Cluster />],
  ['/checks', (_p, q) => <Checks query={q} />],
  ['/checks/new', (_p, q) => <NewCheck key={q.get('from') ?? q.get('model') ?? ''} query={q} />],
  ['/checks/:id', (p) => <CheckPage key={p.id} id={p.id} />],
  ['/decide', (_p, q) => <Decide query={q} />],
  ['/tokens', () => <Tokens />],
];

export function pageFor(path: string, query: URLSearchParams): VNode {
  for (const [pattern, render] of ROUTES) {
    const params = matchRoute(pattern, path);
    if (params) return render(params, query);
  }
  return <NotFound path={path} />;
}
