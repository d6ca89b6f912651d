/**
 * A model's page, with Replicate's tabs: Playground, API, Examples, Versions, Pricing, Licence.
 * `?version=<id>` picks a version (the latest by default); every tab speaks of that version.
 */
import { api, withQuery } from '../api';
import type { Model, Page as ApiPage, Version } from '../api/types';
import { licenceName } from '../lib/licences';
import { shortId } from '../lib/format';
import { navigate } from '../router';
import { Link } from '../ui/Link';
import { Page } from '../ui/Page';
import { TabLinks } from '../ui/TabLinks';
import { ProblemNotice } from '../ui/ProblemNotice';
import { useResource } from '../ui/use-resource';
import { Playground } from './model/Playground';
import { ApiTab } from './model/ApiTab';
import { Examples } from './model/Examples';
import { Versions } from './model/Versions';
import { Pricing } from './model/Pricing';
import { Licence } from './model/Licence';

export const MODEL_TABS = [
  { id: 'playground', label: 'Playground' },
  { id: 'api', label: 'API' },
  { id: 'examples', label: 'Examples' },
  { id: 'versions', label: 'Versions' },
  { id: 'pricing', label: 'Pricing' },
  { id: 'licence', label: 'Licence' },
] as const;

export interface ModelTabProps {
  model: Model;
  version: Version;
  versions: Version[];
  query: URLSearchParams;
}

export function ModelPage({ owner, name, tab = 'playground', query }: { owner: string; name: string; tab?: string; query: URLSearchParams }) {
  const model = useResource((signal) => api.get<Model>(`/v1/models/${owner}/${name}`, { signal }), [owner, name]);
  const versions = useResource((signal) => api.get<ApiPage<Version>>(`/v1/models/${owner}/${name}/versions`, { signal }), [owner, name]);
  const list = versions.data?.results ?? [];
  const wanted = query.get('version');
  const version = (wanted && list.find((v) => v.id === wanted)) || model.data?.latest_version || list[0];
  const base = `/models/${owner}/${name}`;
  const keep = wanted ? { version: wanted } : {};
  const m = model.data;
  const ready = (!!m && !!versions.data) || !!model.error;
  const props: ModelTabProps | undefined = m && version ? { model: m, version, versions: list, query } : undefined;
  return (
    <Page
      title={`${owner}/${name}`}
      ready={ready}
      subtitle={
        m && (
          <>
            {m.description ?? 'No description.'}{' '}
            <span class="meta">
              <span>{m.visibility}</span>
              <span>{m.run_count} runs</span>
              {licenceName(m.license_url) && <span>{licenceName(m.license_url)}</span>}
              {m.github_url && (
                <a href={m.github_url} target="_blank" rel="noopener noreferrer">
                  GitHub
                </a>
              )}
              {m.paper_url && (
                <a href={m.paper_url} target="_blank" rel="noopener noreferrer">
                  Paper
                </a>
              )}
            </span>
          </>
        )
      }
      actions={
        <>
          {m && version && (
            <Link to={withQuery('/checks/new', { model: `${owner}/${name}`, version: wanted ?? undefined })} class="button secondary">
              Check this model
            </Link>
          )}
          {list.length > 1 && (
            <label class="version-pick">
              Version{' '}
              <select value={version?.id} onChange={(e) => navigate(withQuery(`${base}/${tab}`, { version: e.currentTarget.value }))}>
                {list.map((v) => (
                  <option key={v.id} value={v.id}>
                    {shortId(v.id)}
                    {v.id === m?.latest_version?.id ? ' (latest)' : ''}
                  </option>
                ))}
              </select>
            </label>
          )}
        </>
      }
    >
      <ProblemNotice problem={model.error ?? versions.error} />
      <TabLinks label="Model" current={tab} tabs={MODEL_TABS.map((t) => ({ id: t.id, label: t.label, to: withQuery(`${base}/${t.id}`, keep) }))} />
      {m && !version && <p class="notice">This model has no version yet: create one with POST /v1/models/{owner}/{name}/versions.</p>}
      {props && (
        <section class="tab-panel" aria-label={MODEL_TABS.find((t) => t.id === tab)?.label}>
          {tab === 'playground' && <Playground {...props} />}
          {tab === 'api' && <ApiTab {...props} />}
          {tab === 'examples' && <Examples {...props} />}
          {tab === 'versions' && <Versions {...props} />}
          {tab === 'pricing' && <Pricing {...props} />}
          {tab === 'licence' && <Licence {...props} />}
        </section>
      )}
    </Page>
  );
}
