/**
 * A small history router under `/console/`: pages are real URLs (shareable, reloadable; the
 * engine answers every `/console/*` path with the app), and navigation is pushState.
 */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';
type Listener = () => void;
const listeners = new Set<Listener>();

function notify() {
  for (const fn of listeners) fn();
}
addEventListener('popstate', notify);

/** The current location inside the console: path (without /console) and query. */
export function currentLocation(): { path: string; query: URLSearchParams } {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) || '/' : location.pathname;
  return { path, query: new URLSearchParams(location.search) };
}

/** Goes to a console path (`/models`, `/predictions?status=failed`). */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = `${BASE}${to}`;
  if (url === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  notify();
  if (!opts.replace) scrollTo(0, 0);
}

/** Re-renders the caller when the location changes. */
export function useLocation() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const fn = () => setTick((t) => t + 1);
    listeners.add(fn);
    return () => void listeners.delete(fn);
  }, []);
  return currentLocation();
}

/** Matches `/models/:owner/:name/:tab?` against a path; undefined when it does not match. */
export function matchRoute(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const w = want[i];
    if (w === undefined) return undefined;
    const optional = w.endsWith('?');
    const name = w.replace(/^:|\?$/g, '');
    if (got[i] === undefined) {
      if (optional) continue;
      return undefined;
    }
    if (w.startsWith(':')) params[name] = decodeURIComponent(got[i]);
    else if (w !== got[i]) return undefined;
  }
  return params;
}
