/**
 * Create or edit a deployment: model and name (create only), version, hardware, min and max
 * instances. The API checks everything (fit of the version on the hardware, min ≤ max, names)
 * and its errors appear next to their fields.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem } from '../api';
import type { Deployment, Model, Page as ApiPage, Price, Version } from '../api/types';
import { usd } from '../lib/format';
import { placeProblems } from '../lib/problems';
import { Field, describedBy } from '../ui/Field';
import { ProblemNotice } from '../ui/ProblemNotice';
import { ModelOptions, VersionOptions } from '../ui/Options';
import { useResource } from '../ui/use-resource';

interface Draft {
  name: string;
  model: string;
  version: string;
  hardware: string;
  min_instances: string;
  max_instances: string;
}

const FIELDS = ['name', 'model', 'version', 'hardware', 'min_instances', 'max_instances'];

/** A count as typed: a number when it reads as one, else the text (the API names the field). */
const count = (text: string) => (text.trim() === '' ? undefined : Number.isFinite(Number(text)) ? Number(text) : text);

export function DeploymentForm({ existing, onSaved }: { existing?: Deployment; onSaved: (d: Deployment) => void }) {
  const c = existing?.current_release;
  const [draft, setDraft] = useState<Draft>({
    name: existing?.name ?? '',
    model: c?.model ?? '',
    version: c?.version ?? '',
    hardware: c?.configuration.hardware ?? '',
    min_instances: String(c?.configuration.min_instances ?? 0),
    max_instances: String(c?.configuration.max_instances ?? 1),
  });
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const [busy, setBusy] = useState(false);
  const models = useResource((signal) => api.get<ApiPage<Model>>('/v1/models', { signal }), []);
  const prices = useResource((signal) => api.get<{ results: Price[] }>('/v1/prices', { signal }), []);
  const versions = useResource(
    (signal) => (/^[^/]+\/[^/]+$/.test(draft.model) ? api.get<ApiPage<Version>>(`/v1/models/${draft.model}/versions`, { signal }) : Promise.resolve(undefined)),
    [draft.model],
  );
  // A new model: its latest version and its hardware, unless the user already chose.
  useEffect(() => {
    if (existing) return;
    const latest = versions.data?.results[0];
    setDraft((d) => ({ ...d, version: latest?.id ?? '', hardware: d.hardware || latest?.hardware || '' }));
  }, [versions.data]);

  const set = (k: keyof Draft) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  const placed = placeProblems(problem?.errors ?? [], FIELDS);
  const err = (k: string) => placed.byField[k];
  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(undefined);
    setBusy(true);
    const config = {
      version: draft.version || undefined,
      hardware: draft.hardware || undefined,
      min_instances: count(draft.min_instances),
      max_instances: count(draft.max_instances),
    };
    try {
      const saved = existing
        ? await api.patch<Deployment>(`/v1/deployments/${existing.owner}/${existing.name}`, config)
        : await api.post<Deployment>('/v1/deployments', { name: draft.name, model: draft.model, ...config });
      onSaved(saved);
    } catch (error) {
      setProblem(error as ApiProblem);
    } finally {
      setBusy(false);
    }
  };
  const served = (prices.data?.results ?? []).filter((p) => p.served);
  const others = (prices.data?.results ?? []).filter((p) => !p.served);
  const option = (p: Price) => (
    <option key={p.sku} value={p.sku}>
      {p.name} ({p.sku}) · {usd(p.price_per_hour_usd)}/h{p.served ? '' : ' · no worker has it'}
    </option>
  );
  return (
    <form class="card deployment-form" onSubmit={submit} noValidate aria-label={existing ? 'Edit deployment' : 'New deployment'}>
      <ProblemNotice problem={problem} errors={placed.other} />
      {!existing && (
        <>
          <Field id="dep-name" label="Name" required error={err('name')} hint="Letters, digits, “.”, “_” or “-”. The deployment is gantry/<name>.">
            <input id="dep-name" value={draft.name} onInput={set('name')} autoComplete="off" {...describedBy('dep-name', true, err('name'))} />
          </Field>
          <Field id="dep-model" label="Model" required error={err('model')}>
            <select id="dep-model" value={draft.model} onChange={set('model')} {...describedBy('dep-model', false, err('model'))}>
              <option value="">choose a model</option>
              <ModelOptions models={models.data?.results ?? []} />
            </select>
          </Field>
        </>
      )}
      <Field id="dep-version" label="Version" required error={err('version')}>
        <select id="dep-version" value={draft.version} onChange={set('version')} {...describedBy('dep-version', false, err('version'))}>
          {!draft.version && <option value="">choose a version</option>}
          <VersionOptions versions={versions.data?.results ?? []} />
        </select>
      </Field>
      <Field id="dep-hardware" label="Hardware" error={err('hardware')} hint="Billed per second of each instance, busy or idle.">
        <select id="dep-hardware" value={draft.hardware} onChange={set('hardware')} {...describedBy('dep-hardware', true, err('hardware'))}>
          <option value="">the version's hardware</option>
          {served.length > 0 && <optgroup label="Served by this cluster">{served.map(option)}</optgroup>}
          {others.length > 0 && <optgroup label="No worker has these now">{others.map(option)}</optgroup>}
        </select>
      </Field>
      <div class="row">
        <Field id="dep-min" label="Min instances" error={err('min_instances')} hint="Kept running, predictions or not.">
          <input id="dep-min" type="number" min={0} step={1} inputMode="numeric" value={draft.min_instances} onInput={set('min_instances')} {...describedBy('dep-min', true, err('min_instances'))} />
        </Field>
        <Field id="dep-max" label="Max instances" error={err('max_instances')} hint="0 disables the deployment.">
          <input id="dep-max" type="number" min={0} step={1} inputMode="numeric" value={draft.max_instances} onInput={set('max_instances')} {...describedBy('dep-max', true, err('max_instances'))} />
        </Field>
      </div>
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : existing ? 'Save (new release)' : 'Create deployment'}
      </button>
    </form>
  );
}
