/** Console route patterns (`/models/:owner/:name/:tab?`) against paths. Pure. */

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
