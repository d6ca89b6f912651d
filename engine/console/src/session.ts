/**
 * The signed-in token, kept for this browser tab only (sessionStorage): closing the tab signs out,
 * and nothing is written where other tabs or later visits could read it.
 */
const KEY = 'gantry.console.token';
type Listener = (token: string | null) => void;
const listeners = new Set<Listener>();

export function currentToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, token);
  for (const fn of listeners) fn(token);
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  for (const fn of listeners) fn(null);
}

export function onSessionChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
