/** Setup-failure backoff: a version whose boots keep failing is retried ever more slowly. */

export interface SetupFailures {
  /** Consecutive failed boots (reset to 0 by a successful one). */
  count: number;
  /** When the last one failed (ms). */
  lastAt: number;
}

/** Delay before the next boot after `count` consecutive failures: base × 2^(count−1), capped. */
export function setupBackoffMs(count: number, baseMs: number, maxMs: number): number {
  if (count <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(count - 1, 30));
}

/** When the version may boot again; `now` or earlier means it may boot now. */
export function nextBootAt(failures: SetupFailures | undefined, baseMs: number, maxMs: number): number {
  if (!failures || failures.count <= 0) return -Infinity;
  return failures.lastAt + setupBackoffMs(failures.count, baseMs, maxMs);
}
