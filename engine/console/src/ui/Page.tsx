/**
 * A page's frame: its heading, the document title, and the `data-ready` mark set once its data
 * first shows. The mark is also a performance mark (`console:ready`), which the browser tests wait
 * for and the first-render benchmark reads.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

interface Props {
  title: string;
  /** True once the page shows its data (or its error). */
  ready: boolean;
  actions?: ComponentChildren;
  subtitle?: ComponentChildren;
  children: ComponentChildren;
}

export function Page({ title, ready, actions, subtitle, children }: Props) {
  const marked = useRef(false);
  useEffect(() => {
    document.title = `${title} · Gantry`;
  }, [title]);
  useEffect(() => {
    if (ready && !marked.current) {
      marked.current = true;
      performance.mark('console:ready', { detail: { title } });
    }
  }, [ready]);
  return (
    <main id="main" class="page" data-ready={ready ? 'true' : 'false'} aria-busy={!ready}>
      <header class="page-head">
        <div>
          <h1>{title}</h1>
          {subtitle && <p class="subtitle">{subtitle}</p>}
        </div>
        {actions && <div class="actions">{actions}</div>}
      </header>
      {children}
    </main>
  );
}
