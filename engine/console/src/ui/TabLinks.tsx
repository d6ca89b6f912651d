/** Tabs that are pages (each tab has its own URL), marked for assistive technology with aria-current. */
import { Link } from './Link';

export function TabLinks({ tabs, current, label }: { tabs: Array<{ id: string; label: string; to: string }>; current: string; label: string }) {
  return (
    <nav class="tabs" aria-label={label}>
      {tabs.map((t) => (
        <Link key={t.id} to={t.to} class={t.id === current ? 'tab current' : 'tab'} aria-current={t.id === current ? 'page' : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
