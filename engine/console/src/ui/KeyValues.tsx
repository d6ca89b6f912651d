/** A list of named values (a prediction's timings, a deployment's configuration). */
import type { ComponentChildren } from 'preact';

export function KeyValues({ rows, testid }: { rows: Array<[string, ComponentChildren]>; testid?: string }) {
  return (
    <dl class="kv" data-testid={testid}>
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
