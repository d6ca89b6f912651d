/**
 * The phases of a cold start, in seconds, as a prediction that waited for one reports them:
 * `fetch_time` (the version's artifacts to this worker), `boot_time` (the process or container
 * up to where the model's setup begins) and `setup_time` (the model's own setup, as the runner
 * measures it). Their sum is the whole wait for the instance. `artifact_cache` says where the
 * artifacts came from (`memory`, `disk`, `miss`), and `artifact_bytes_fetched` how much was read
 * from the store; both are absent when the version has no artifacts to fetch. Pure.
 */

export interface ArtifactFetch {
  seconds: number;
  outcome: 'memory' | 'disk' | 'miss';
  fetchedBytes: number;
}

export interface BootPhases {
  fetch_time: number;
  boot_time: number;
  setup_time: number;
  artifact_cache?: ArtifactFetch['outcome'];
  artifact_bytes_fetched?: number;
}

const round = (s: number) => Math.round(s * 1000) / 1000;

/**
 * Splits a boot that took `totalSeconds` into its phases: the fetch as measured, the model's
 * setup as the runner reported it, and the rest (never below zero) as process start.
 */
export function bootPhases(totalSeconds: number, setupSeconds: number, fetch?: ArtifactFetch): BootPhases {
  const fetchTime = fetch?.seconds ?? 0;
  const setup = Math.min(Math.max(0, setupSeconds), Math.max(0, totalSeconds - fetchTime));
  const phases: BootPhases = { fetch_time: round(fetchTime), boot_time: round(Math.max(0, totalSeconds - fetchTime - setup)), setup_time: round(setup) };
  if (fetch) {
    phases.artifact_cache = fetch.outcome;
    phases.artifact_bytes_fetched = fetch.fetchedBytes;
  }
  return phases;
}

/** The whole cold start: every phase together. */
export function bootSeconds(p: Pick<BootPhases, 'fetch_time' | 'boot_time' | 'setup_time'>): number {
  return round(p.fetch_time + p.boot_time + p.setup_time);
}

/**
 * The whole cold start a finished prediction waited for, from its metrics: the sum of the phases
 * (rows from before the phases were measured carry the whole of it in `setup_time`); null when
 * it did not wait for a boot.
 */
export function coldStartSeconds(metrics: Record<string, unknown>): number | null {
  if (metrics.cold_start !== true) return null;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const setup = n(metrics.setup_time);
  if (setup === undefined) return null;
  return round((n(metrics.fetch_time) ?? 0) + (n(metrics.boot_time) ?? 0) + setup);
}
