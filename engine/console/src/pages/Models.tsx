/**
 * Models: the models on this engine (search and filters by collection, runner and hardware) and
 * the public catalogue (search, import). The filters live in the URL, so a filtered view can be
 * shared or reloaded.
 */
import { useState } from 'preact/hooks';
import { api, ApiProblem, withQuery } from '../api';
import type { CatalogueModel, Collection, Model, Page as ApiPage, Price } from '../api/types';
import { navigate } from '../router';
import { licenceName } from '../lib/licences';
import { Page } from '../ui/Page';
import { Link } from '../ui/Link';
import { TabLinks } from '../ui/TabLinks';
import { ProblemNotice } from '../ui/ProblemNotice';
import { Field, describedBy } from '../ui/Field';
import { useResource } from '../ui/use-resource';

/** Every local model (the list pages by 100; an engine rarely has more than a few pages). */
async function allModels(signal: AbortSignal): Promise<Model[]> {
  const out: Model[] = [];
  let path: string | null = '/v1/models';
  for (let i = 0; path && i < 20; i++) {
    const page: ApiPage<Model> = await api.get<ApiPage<Model>>(path, { signal });
    out.push(...page.results);
    path = page.next ? new URL(page.next).pathname + new URL(page.next).search : null;
  }
  return out;
}

/** Collections with the models in each (`owner/name` sets), for the collection filter. */
async function collectionMembers(signal: AbortSignal): Promise<Array<Collection & { members: Set<string> }>> {
  const list = await api.get<ApiPage<Collection>>('/v1/collections', { signal });
  return Promise.all(
    list.results.map(async (c) => {
      const full = await api.get<Collection>(`/v1/collections/${c.slug}`, { signal });
      return { ...c, members: new Set((full.models ?? []).map((m) => `${m.owner}/${m.name}`)) };
    }),
  );
}

function LocalModels({ query }: { query: URLSearchParams }) {
  const models = useResource((s) => allModels(s), []);
  const collections = useResource((s) => collectionMembers(s), []);
  const q = query.get('q') ?? '';
  const collection = query.get('collection') ?? '';
  const runner = query.get('runner') ?? '';
  const hardware = query.get('hardware') ?? '';
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(query);
    if (value) next.set(key, value);
    else next.delete(key);
    navigate(withQuery('/models', Object.fromEntries(next)), { replace: true });
  };
  const all = models.data ?? [];
  const members = collections.data?.find((c) => c.slug === collection)?.members;
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = all.filter((m) => {
    const text = `${m.owner}/${m.name} ${m.description ?? ''}`.toLowerCase();
    if (!words.every((w) => text.includes(w))) return false;
    if (members && !members.has(`${m.owner}/${m.name}`)) return false;
    if (runner && m.latest_version?.runner.type !== runner) return false;
    if (hardware && m.latest_version?.hardware !== hardware) return false;
    return true;
  });
  const runners = [...new Set(all.map((m) => m.latest_version?.runner.type).filter(Boolean))] as string[];
  const hardwares = [...new Set(all.map((m) => m.latest_version?.hardware).filter(Boolean))] as string[];
  return (
    <Page title="Models" ready={!!models.data || !!models.error} actions={<Link to="/models?source=catalogue" class="button secondary">Import from the catalogue</Link>}>
      <TabsFor current="local" />
      <ProblemNotice problem={models.error ?? collections.error} />
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field id="model-search" label="Search">
          <input id="model-search" type="search" value={q} placeholder="name or description" onInput={(e) => set('q', e.currentTarget.value)} />
        </Field>
        <Field id="model-collection" label="Collection">
          <select id="model-collection" value={collection} onChange={(e) => set('collection', e.currentTarget.value)}>
            <option value="">any</option>
            {(collections.data ?? []).map((c) => (
              <option key={c.slug} value={c.slug}>
                {c.name}
              </option>
            ))}
          </select>
        </Field>
        <Field id="model-runner" label="Runner">
          <select id="model-runner" value={runner} onChange={(e) => set('runner', e.currentTarget.value)}>
            <option value="">any</option>
            {runners.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </Field>
        <Field id="model-hardware" label="Hardware">
          <select id="model-hardware" value={hardware} onChange={(e) => set('hardware', e.currentTarget.value)}>
            <option value="">any</option>
            {hardwares.map((h) => (
              <option key={h}>{h}</option>
            ))}
          </select>
        </Field>
      </form>
      <p class="muted" aria-live="polite">
        {models.data ? `${shown.length} of ${all.length} models` : 'Loading…'}
      </p>
      <ul class="cards" data-testid="model-list">
        {shown.map((m) => (
          <li key={`${m.owner}/${m.name}`} class="card">
            <h2 class="card-title">
              <Link to={`/models/${m.owner}/${m.name}`}>
                {m.owner}/{m.name}
              </Link>
            </h2>
            <p>{m.description ?? <span class="muted">No description.</span>}</p>
            <p class="meta">
              <span>{m.latest_version?.runner.type ?? 'no version'}</span>
              <span>{m.latest_version?.hardware ?? ''}</span>
              <span>{m.run_count} runs</span>
              {licenceName(m.license_url) && <span>{licenceName(m.license_url)}</span>}
              {m.imported_from && <span>imported</span>}
            </p>
          </li>
        ))}
      </ul>
    </Page>
  );
}

function TabsFor({ current }: { current: 'local' | 'catalogue' }) {
  return (
    <TabLinks
      label="Model sources"
      current={current}
      tabs={[
        { id: 'local', label: 'On this engine', to: '/models' },
        { id: 'catalogue', label: 'Public catalogue', to: '/models?source=catalogue' },
      ]}
    />
  );
}

function ImportButton({ model, prices }: { model: CatalogueModel; prices: Price[] }) {
  const [hardware, setHardware] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const id = `import-hw-${model.owner}-${model.name}`;
  const run = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const m = await api.post<Model>('/v1/models/import', { model: `${model.owner}/${model.name}`, ...(hardware ? { hardware } : {}) });
      navigate(`/models/${m.owner}/${m.name}`);
    } catch (err) {
      setProblem(err as ApiProblem);
    } finally {
      setBusy(false);
    }
  };
  const hwError = problem?.errors.find((e) => e.pointer === '/hardware')?.detail;
  return (
    <div class="import">
      <Field id={id} label="Hardware" error={hwError}>
        <select id={id} value={hardware} onChange={(e) => setHardware(e.currentTarget.value)} {...describedBy(id, false, hwError)}>
          <option value="">engine default</option>
          {prices.map((p) => (
            <option key={p.sku} value={p.sku}>
              {p.name} ({p.sku})
            </option>
          ))}
        </select>
      </Field>
      <button type="button" onClick={run} disabled={busy}>
        {busy ? 'Importing…' : `Import ${model.owner}/${model.name}`}
      </button>
      {problem && !hwError && <ProblemNotice problem={problem} />}
    </div>
  );
}

function Catalogue({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  const [text, setText] = useState(q);
  const found = useResource((signal) => api.get<{ results: CatalogueModel[] }>(withQuery('/v1/catalogue', { query: q, limit: '50' }), { signal }), [q]);
  const prices = useResource((signal) => api.get<{ results: Price[] }>('/v1/prices', { signal }), []);
  return (
    <Page title="Models" ready={!!found.data || !!found.error} subtitle="Replicate's public models, shipped with the engine and searched offline. Importing one creates it here with its schema, example and licence.">
      <TabsFor current="catalogue" />
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(withQuery('/models', { source: 'catalogue', q: text }));
        }}
      >
        <Field id="catalogue-search" label="Search the catalogue">
          <input id="catalogue-search" type="search" value={text} placeholder="e.g. whisper, flux, llama" onInput={(e) => setText(e.currentTarget.value)} />
        </Field>
        <button type="submit">Search</button>
      </form>
      <ProblemNotice problem={found.error} />
      <ul class="cards" data-testid="catalogue-list">
        {(found.data?.results ?? []).map((m) => (
          <li key={`${m.owner}/${m.name}`} class="card">
            <h2 class="card-title">
              {m.owner}/{m.name}
            </h2>
            <p>{m.description ?? ''}</p>
            <p class="meta">
              <span>{m.run_count.toLocaleString('en')} runs on Replicate</span>
            </p>
            {m.imported ? (
              <Link to={`/models/${m.owner}/${m.name}`}>Imported: open it</Link>
            ) : (
              <ImportButton model={m} prices={prices.data?.results ?? []} />
            )}
          </li>
        ))}
      </ul>
    </Page>
  );
}

export function Models({ query }: { query: URLSearchParams }) {
  return query.get('source') === 'catalogue' ? <Catalogue query={query} /> : <LocalModels query={query} />;
}
