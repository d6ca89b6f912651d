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

