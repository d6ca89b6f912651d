/**
 * Examples: the model's default example and its latest successful predictions here, each with
 * its input and output, and a link that loads the input into the playground.
 */
import { api, withQuery } from '../../api';
import type { Page as ApiPage, Prediction } from '../../api/types';
import { seconds, usd, ago } from '../../lib/format';
import { Link } from '../../ui/Link';
import { OutputPreview } from '../../ui/OutputPreview';
import { ProblemNotice } from '../../ui/ProblemNotice';
import { useResource } from '../../ui/use-resource';
import type { ModelTabProps } from '../ModelPage';

export function Examples({ model }: ModelTabProps) {
  const ref = `${model.owner}/${model.name}`;
  const recent = useResource(
    (signal) => api.get<ApiPage<Prediction>>(withQuery('/v1/predictions', { model: ref, status: 'succeeded', limit: '6' }), { signal }),
    [ref],
  );
  const base = `/models/${ref}/playground`;
  const example = model.default_example;
  return (
    <div class="stack">
      {example?.input && (
        <section class="card">
          <h2>Default example</h2>
          <pre class="input-json">{JSON.stringify(example.input, null, 2)}</pre>
          {example.output !== undefined && example.output !== null && (
            <>
              <h3>Output</h3>
              <OutputPreview output={example.output} />
            </>
          )}
          <Link to={withQuery(base, { example: 'default' })}>Try it in the playground</Link>
        </section>
      )}
      <section class="card">
        <h2>Recent runs on this engine</h2>
        <ProblemNotice problem={recent.error} />
        {recent.data && !recent.data.results.length && <p class="muted">No successful runs yet.</p>}
        <ul class="examples">
          {(recent.data?.results ?? []).map((p) => (
            <li key={p.id}>
              <p class="meta">
                <Link to={`/predictions/${p.id}`}>{p.id}</Link>
                <span>{ago(p.created_at)}</span>
                <span>{seconds(p.metrics?.predict_time)}</span>
                <span>{usd(p.cost?.total_usd)}</span>
              </p>
              {p.data_removed ? (
                <p class="muted">Its input and output were removed (data retention).</p>
              ) : (
                <>
                  <pre class="input-json">{JSON.stringify(p.input, null, 2)}</pre>
                  <OutputPreview output={p.output} />
                  <Link to={withQuery(base, { from: p.id })}>Use this input</Link>
                </>
              )}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
