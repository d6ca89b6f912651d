/** Versions: every version with its runner and hardware, its input schema, and what changed from the one before. */
import { withQuery } from '../../api';
import { inputFields } from '../../lib/schema';
import { inputChanges } from '../../lib/schema-diff';
import { when } from '../../lib/format';
import { Link } from '../../ui/Link';
import type { ModelTabProps } from '../ModelPage';

export function Versions({ model, version, versions }: ModelTabProps) {
  const base = `/models/${model.owner}/${model.name}`;
  // Newest first, as the API lists them; each is compared with the next older one.
  return (
    <div class="stack">
      {versions.map((v, i) => {
        const older = versions[i + 1];
        const changes = older ? inputChanges(inputFields(older.openapi_schema), inputFields(v.openapi_schema)) : [];
        return (
          <section key={v.id} class={`card${v.id === version.id ? ' selected' : ''}`} aria-label={`Version ${v.id}`}>
            <h2 class="mono small-title">{v.id}</h2>
            <p class="meta">
              <span>{when(v.created_at)}</span>
              <span>runner {v.runner.type}</span>
              <span>{v.hardware}</span>
              {v.gpu_count ? <span>{v.gpu_count} GPU · {v.gpu_memory_gb} GB</span> : null}
              <span>max concurrency {v.max_concurrency}</span>
              {v.streams && <span>streams</span>}
              {v.trainable && <span>trainable</span>}
              {v.id === model.latest_version?.id && <span>latest</span>}
            </p>
            {older ? (
              changes.length ? (
                <ul class="changes" data-testid="version-changes">
                  {changes.map((c) => (
                    <li key={c.name}>
                      <strong>{c.change}</strong> <code>{c.name}</code>: {c.detail}
                    </li>
                  ))}
                </ul>
              ) : (
                <p class="muted">Same inputs as the version before.</p>
              )
            ) : (
              <p class="muted">The first version.</p>
            )}
            <details>
              <summary>Schema</summary>
              <pre class="schema">{JSON.stringify(v.openapi_schema?.components?.schemas ?? {}, null, 2)}</pre>
            </details>
            <Link to={withQuery(`${base}/playground`, { version: v.id })}>Run this version</Link>
          </section>
        );
      })}
    </div>
  );
}
