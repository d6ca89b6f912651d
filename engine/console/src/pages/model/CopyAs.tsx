/** "Copy as": the playground's current input as curl, JavaScript, Python or an n8n Run Model node. */
import { useState } from 'preact/hooks';
import { snippet, SNIPPET_KINDS, type SnippetKind } from '../../lib/snippets';
import { CopyButton } from '../../ui/CopyButton';

export function CopyAs({ model, version, input }: { model: string; version?: string; input: Record<string, unknown> }) {
  const [kind, setKind] = useState<SnippetKind>('curl');
  const text = snippet(kind, { origin: location.origin, model, version, input });
  return (
    <section class="card copy-as" aria-label="Copy as">
      <h2>Copy as</h2>
      <div class="segmented" role="radiogroup" aria-label="Snippet language">
        {SNIPPET_KINDS.map((k) => (
          <label key={k.kind} class={kind === k.kind ? 'on' : ''}>
            <input type="radio" name="snippet-kind" value={k.kind} checked={kind === k.kind} onChange={() => setKind(k.kind)} />
            {k.label}
          </label>
        ))}
      </div>
      <pre class="snippet" data-testid={`snippet-${kind}`}>
        {text}
      </pre>
      <CopyButton text={text} />
      {kind === 'n8n' && <p class="hint">Paste it onto an n8n canvas with the Gantry nodes installed, then pick your Gantry API credential.</p>}
      {kind !== 'n8n' && <p class="hint">Set GANTRY_API_TOKEN to a token from the Tokens page; the snippet never contains yours.</p>}
    </section>
  );
}
