/**
 * The Playground: a form generated from the version's input schema; Run uploads picked files
 * (Files API), creates the prediction, and follows it — output as it streams, then the preview,
 * metrics and cost. The API's field errors appear beside their fields. "Copy as" gives the same
 * run as curl, JavaScript, Python or an n8n node. `?from=<prediction id>` or `?example=default`
 * fills the form with that input.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiProblem } from '../../api';
import type { FileObject, Prediction } from '../../api/types';
import { inputFields } from '../../lib/schema';
import { initialValues, toInput, uploadFiles, valuesFromInput, type FormValues } from '../../lib/form-values';
import { placeProblems } from '../../lib/problems';
import { SchemaForm } from '../../schema-form/SchemaForm';
import { ProblemNotice } from '../../ui/ProblemNotice';
import { usePrediction } from '../../ui/use-prediction';
import { RunResult } from '../../ui/RunResult';
import { CopyAs } from './CopyAs';
import type { ModelTabProps } from '../ModelPage';

export function Playground({ model, version, query }: ModelTabProps) {
  const fields = useMemo(() => inputFields(version.openapi_schema), [version.id]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'creating'>('idle');
  const [started, setStarted] = useState<Prediction | undefined>();
  const run = usePrediction(started);
  const from = query.get('from');
  const example = query.get('example');

  // A new version resets the form; a linked prediction or the example fills it.
  useEffect(() => {
    setValues(initialValues(fields));
    setErrors({});
    if (from) {
      api.get<Prediction>(`/v1/predictions/${from}`).then((p) => setValues(valuesFromInput(fields, p.input)), (err) => setProblem(err as ApiProblem));
    } else if (example === 'default' && model.default_example?.input) {
      setValues(valuesFromInput(fields, model.default_example.input));
    }
  }, [version.id, from, example]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors({});
    setProblem(undefined);
    try {
      setPhase('uploading');
      const uploaded = await uploadFiles(fields, values, async (file) => (await api.upload<FileObject>(file)).urls.get);
      setValues(uploaded);
      const { input, problems } = toInput(fields, uploaded);
      if (problems.length) {
        setErrors(placeProblems(problems, fields.map((f) => f.name), '/input').byField);
        return;
      }
      setPhase('creating');
      const p = await api.post<Prediction>('/v1/predictions', { version: version.id, input });
      setStarted(p);
    } catch (err) {
      const p = err as ApiProblem;
      const placed = placeProblems(p.errors ?? [], fields.map((f) => f.name), '/input');
      setErrors(placed.byField);
      // The detail repeats the field errors; show it only when some error names no field.
      if (placed.other.length || !Object.keys(placed.byField).length) setProblem(p);
    } finally {
      setPhase('idle');
    }
  };

  const cancel = async () => {
    if (!run.prediction) return;
    try {
      await api.post(`/v1/predictions/${run.prediction.id}/cancel`);
    } catch (err) {
      setProblem(err as ApiProblem);
    }
  };

  const busy = phase !== 'idle' || (!!run.prediction && !run.done);
  const preview = toInput(fields, values).input;
  return (
    <div class="playground">
      <form class="card run-form" onSubmit={submit} noValidate aria-label="Input">
        <h2>Input</h2>
        <ProblemNotice problem={problem} errors={problem && placeProblems(problem.errors, fields.map((f) => f.name), '/input').other} />
        <SchemaForm idPrefix="in" fields={fields} values={values} errors={errors} onChange={setValues} />
        <div class="form-actions">
          <button type="submit" disabled={busy}>
            {phase === 'uploading' ? 'Uploading…' : phase === 'creating' ? 'Starting…' : busy ? 'Running…' : 'Run'}
          </button>
          {run.prediction && !run.done && (
            <button type="button" class="secondary" onClick={cancel}>
              Cancel
            </button>
          )}
          <button type="button" class="secondary" disabled={busy} onClick={() => (setValues(initialValues(fields)), setErrors({}))}>
            Reset
          </button>
        </div>
      </form>
      <div class="card run-output">
        <h2>Output</h2>
        {run.prediction ? <RunResult followed={run} /> : <p class="muted">Run the model to see its output, metrics and cost here.</p>}
      </div>
      <CopyAs model={`${model.owner}/${model.name}`} version={version.id} input={preview} />
    </div>
  );
}
