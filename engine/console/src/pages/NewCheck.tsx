/**
 * Start a model check: the model (latest or a pinned version) or one of its deployments, the input
 * (the playground's schema form), and the check's settings — runs, hardware to compare, a model to
 * compare with, worst-case inputs, the deadline. The API checks everything and its errors appear
 * beside their fields (`/input/sleep` beside *sleep*, `/runs` beside *Runs*). `?model=owner/name`
 * (and `&version=`) preselect a model, as the model page's "Check this model" does; `?from=<check
 * id>` fills the form from an earlier check.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiProblem } from '../api';
import type { Check, Deployment, FileObject, Model, Page as ApiPage, Price, Version } from '../api/types';
import { CHECK_FIELDS, checkBody, draftFromCheck, emptyDraft, type CheckDraft } from '../lib/check-request';
import { initialValues, toInput, uploadFiles, valuesFromInput, type FormValues } from '../lib/form-values';
import { usd } from '../lib/format';
import { placeProblems } from '../lib/problems';
import { inputFields } from '../lib/schema';
import { navigate } from '../router';
import { SchemaForm } from '../schema-form/SchemaForm';
import { Field, describedBy, errorId, hintId } from '../ui/Field';
import { Page } from '../ui/Page';
import { ProblemNotice } from '../ui/ProblemNotice';
import { ModelOptions, VersionOptions } from '../ui/Options';
import { useResource } from '../ui/use-resource';

const MODEL_REF = /^[^/\s]+\/[^/\s]+$/;

function HardwareChoice({ prices, chosen, error, onChange }: { prices: Price[]; chosen: string[]; error?: string; onChange: (skus: string[]) => void }) {
  const ordered = [...prices.filter((p) => p.served), ...prices.filter((p) => !p.served)];
  const toggle = (sku: string, on: boolean) => onChange(on ? [...chosen, sku] : chosen.filter((s) => s !== sku));
  return (
    <fieldset class={`field choices${error ? ' has-error' : ''}`} data-field="check-hardware" aria-describedby={[hintId('check-hardware'), error ? errorId('check-hardware') : ''].filter(Boolean).join(' ')}>
      <legend>Hardware to compare</legend>
      <div class="choice-grid">
        {ordered.map((p) => (
          <label key={p.sku} class="choice">
            <input type="checkbox" checked={chosen.includes(p.sku)} onChange={(e) => toggle(p.sku, e.currentTarget.checked)} />
            <span>
              {p.sku} <span class="muted">{p.served ? `${usd(p.price_per_second_usd)}/s` : 'not served'}</span>
            </span>
          </label>
        ))}
      </div>
      <p class="hint" id={hintId('check-hardware')}>
        The runs are repeated on each SKU a worker serves; the others are reported with their price.
      </p>
      {error && (
        <p class="field-error" id={errorId('check-hardware')} role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

export function NewCheck({ query }: { query: URLSearchParams }) {
  const from = query.get('from');
  const [draft, setDraft] = useState<CheckDraft>(() => emptyDraft(query.get('model') ?? '', query.get('version') ?? ''));
  const [values, setValues] = useState<FormValues>({});
  /** An earlier check's input, applied once its version's fields are known. */
  const [pendingInput, setPendingInput] = useState<Record<string, unknown> | undefined>();
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const [busy, setBusy] = useState<'uploading' | 'starting' | undefined>();

  const models = useResource((signal) => api.get<ApiPage<Model>>('/v1/models', { signal }), []);
  const prices = useResource((signal) => api.get<{ results: Price[] }>('/v1/prices', { signal }), []);
  const deployments = useResource((signal) => api.get<ApiPage<Deployment>>('/v1/deployments', { signal }), []);
  const earlier = useResource((signal) => (from ? api.get<Check>(`/v1/checks/${from}`, { signal }) : Promise.resolve(undefined)), [from]);
  const versions = useResource(
    (signal) => (MODEL_REF.test(draft.model) ? api.get<ApiPage<Version>>(`/v1/models/${draft.model}/versions`, { signal }) : Promise.resolve(undefined)),
    [draft.model],
  );

  useEffect(() => {
    if (!earlier.data) return;
    setDraft(draftFromCheck(earlier.data));
    setPendingInput(earlier.data.input);
  }, [earlier.data]);

  const list = versions.data?.results ?? [];
  const version = (draft.version && list.find((v) => v.id === draft.version)) || list[0];
  const fields = useMemo(() => (version ? inputFields(version.openapi_schema) : []), [version?.id]);
  const names = fields.map((f) => f.name);
  // A new version (or model) starts from its defaults, or from the earlier check's input...
  useEffect(() => {
    if (!version) return;
    setValues(pendingInput ? valuesFromInput(fields, pendingInput) : initialValues(fields));
    setPendingInput(undefined);
  }, [version?.id]);
  // ...which may also arrive after the version's fields.
  useEffect(() => {
    if (!version || !pendingInput) return;
    setValues(valuesFromInput(fields, pendingInput));
    setPendingInput(undefined);
  }, [pendingInput]);

  const errors = problem?.errors ?? [];
  const inputPlaced = placeProblems(errors, names, '/input');
  const placed = placeProblems(inputPlaced.other, [...CHECK_FIELDS]);
  const placedAny = Object.keys(inputPlaced.byField).length + Object.keys(placed.byField).length > 0;
  const err = (k: (typeof CHECK_FIELDS)[number]) => placed.byField[k];
  const set = (k: keyof CheckDraft) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  const ownDeployments = (deployments.data?.results ?? []).filter((d) => d.current_release.model === draft.model);

  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(undefined);
    try {
      setBusy('uploading');
      const uploaded = await uploadFiles(fields, values, async (file) => (await api.upload<FileObject>(file)).urls.get);
      setValues(uploaded);
      const input = toInput(fields, uploaded);
      const { body, problems } = checkBody(draft, input.input);
      const local = [...input.problems, ...problems];
      if (local.length) {
        setProblem(new ApiProblem(0, 'Fix the fields marked below', '', local));
        return;
      }
      setBusy('starting');
      const check = await api.post<Check>('/v1/checks', body);
      navigate(`/checks/${check.id}`);
    } catch (error) {
      setProblem(error as ApiProblem);
    } finally {
      setBusy(undefined);
    }
  };

  const ready = (!!models.data && !!prices.data && (!MODEL_REF.test(draft.model) || !!versions.data || !!versions.error) && (!from || !!earlier.data || !!earlier.error)) || !!models.error;
  return (
    <Page title="New model check" ready={ready} subtitle="Runs real predictions, tagged with the check, and reports on ten checklist items.">
      <ProblemNotice problem={models.error ?? earlier.error} />
      <form class="check-form" onSubmit={submit} noValidate aria-label="New check">
        {/* The detail repeats the field errors; it shows only when an error names no field here. */}
        <ProblemNotice problem={placed.other.length || !placedAny ? problem : undefined} errors={placed.other} />
        <section class="card check-model">
          <h2>Model</h2>
          <Field id="check-model" label="Model" required error={err('model')}>
            <select
              id="check-model"
              value={draft.model}
              onChange={(e) => setDraft({ ...draft, model: e.currentTarget.value, version: '', deployment: '', compare_with: draft.compare_with })}
              {...describedBy('check-model', false, err('model'))}
            >
              <option value="">choose a model</option>
              <ModelOptions models={models.data?.results ?? []} />
            </select>
          </Field>
          <Field id="check-version" label="Version" hint="The latest when the check starts, or a pinned version (owner/name:version).">
            <select id="check-version" value={draft.version} onChange={set('version')} {...describedBy('check-version', true, undefined)}>
              <option value="">latest</option>
              <VersionOptions versions={list} />
            </select>
          </Field>
          <Field id="check-deployment" label="Deployment" error={err('deployment')} hint="Run the typical input on a deployment of this model instead of on demand.">
            <select id="check-deployment" value={draft.deployment} onChange={set('deployment')} {...describedBy('check-deployment', true, err('deployment'))}>
              <option value="">none: on demand</option>
              {ownDeployments.map((d) => (
                <option key={`${d.owner}/${d.name}`} value={`${d.owner}/${d.name}`}>
                  {d.owner}/{d.name} ({d.current_release.configuration.hardware})
                </option>
              ))}
            </select>
          </Field>
        </section>
        <section class="card check-input">
          <h2>Input</h2>
          <p class="hint">The typical input: every run of the check sends it (with the schema's defaults filled in).</p>
          {version ? (
            <SchemaForm idPrefix="check-in" fields={fields} values={values} errors={inputPlaced.byField} onChange={setValues} />
          ) : (
            <p class="muted">{draft.model ? 'Loading the schema…' : 'Choose a model first.'}</p>
          )}
        </section>
        <section class="card check-settings">
          <h2>Check</h2>
          <div class="row">
            <Field id="check-runs" label="Runs" error={err('runs')} hint="How many times the typical input runs (2 to 20).">
              <input id="check-runs" type="number" min={2} max={20} step={1} inputMode="numeric" value={draft.runs} onInput={set('runs')} {...describedBy('check-runs', true, err('runs'))} />
            </Field>
            <Field id="check-timeout" label="Deadline" error={err('timeout')} hint="What a production client would wait, e.g. 60s or 5m (sent as Cancel-After).">
              <input id="check-timeout" value={draft.timeout} onInput={set('timeout')} {...describedBy('check-timeout', true, err('timeout'))} />
            </Field>
          </div>
          <Field id="check-compare" label="Compare with" error={err('compare_with')} hint="Another model or version, owner/name[:version]: the same runs side by side.">
            <input id="check-compare" list="check-model-names" value={draft.compare_with} placeholder="owner/name" onInput={set('compare_with')} {...describedBy('check-compare', true, err('compare_with'))} />
          </Field>
          <datalist id="check-model-names">
            {(models.data?.results ?? []).map((m) => (
              <option key={`${m.owner}/${m.name}`} value={`${m.owner}/${m.name}`} />
            ))}
          </datalist>
          <Field id="check-worst" label="Worst-case inputs at the schema's limits" inline hint="Longest strings, largest numbers and lists the schema allows, under the deadline.">
            <input id="check-worst" type="checkbox" checked={draft.worst_from_schema} onChange={(e) => setDraft({ ...draft, worst_from_schema: e.currentTarget.checked })} {...describedBy('check-worst', true, undefined)} />
          </Field>
          <Field id="check-marked" label="Marked worst-case inputs" error={err('worst_case')} hint='Optional: a JSON list of input changes to try as worst cases, e.g. [{"sleep": 30}].'>
            <textarea id="check-marked" class="mono" rows={2} value={draft.worst_marked} onInput={set('worst_marked')} {...describedBy('check-marked', true, err('worst_case'))} />
          </Field>
          {prices.data && <HardwareChoice prices={prices.data.results} chosen={draft.hardware} error={err('hardware')} onChange={(hardware) => setDraft({ ...draft, hardware })} />}
        </section>
        <div class="form-actions">
          <button type="submit" disabled={!!busy}>
            {busy === 'uploading' ? 'Uploading…' : busy === 'starting' ? 'Starting…' : 'Start the check'}
          </button>
        </div>
      </form>
    </Page>
  );
}
