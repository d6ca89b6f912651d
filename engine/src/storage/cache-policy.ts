/**
 * Which cached artifacts to give up for room: the ones least likely to pay for their bytes again.
 * Each entry's expected reuse is its use count decayed by the time since its last use (half-life
 * `halfLifeMs`), divided by its size: a small, often and recently booted artifact is worth more
 * than a large one booted once last week. Plain LRU would evict a daily model's 40 GB of weights
 * to keep a one-off 1 GB experiment. Entries in use by a running instance (pinned) are never
 * chosen. Pure.
 */

export interface CacheEntryStats {
  key: string;
  bytes: number;
  /** Uses so far (boots and prefetches), decayed to `lastUsedAt`. */
  uses: number;
  lastUsedAt: number;
  /** Running instances using it now: never evicted while > 0. */
  pins: number;
}

/** Six hours: a model called every day keeps a quarter of its weight overnight. */
export const DEFAULT_HALF_LIFE_MS = 6 * 3600_000;

/** Uses decayed from `lastUsedAt` to `now`. */
export function decayedUses(e: Pick<CacheEntryStats, 'uses' | 'lastUsedAt'>, now: number, halfLifeMs = DEFAULT_HALF_LIFE_MS): number {
  return e.uses * Math.pow(0.5, Math.max(0, now - e.lastUsedAt) / halfLifeMs);
}

/** Expected reuse per byte: what keeping the entry is worth. */
export function reuseScore(e: CacheEntryStats, now: number, halfLifeMs = DEFAULT_HALF_LIFE_MS): number {
  return decayedUses(e, now, halfLifeMs) / Math.max(1, e.bytes);
}

/** Uses after one more use at `now`. */
export function oneMoreUse(e: Pick<CacheEntryStats, 'uses' | 'lastUsedAt'>, now: number, halfLifeMs = DEFAULT_HALF_LIFE_MS): number {
  return decayedUses(e, now, halfLifeMs) + 1;
}

/**
 * The entries to evict so that `need` more bytes fit in `budget`, lowest expected reuse first;
 * undefined when even evicting every unpinned entry would not make room.
 */
export function chooseVictims<T extends CacheEntryStats>(entries: readonly T[], need: number, budget: number, now: number, halfLifeMs = DEFAULT_HALF_LIFE_MS): T[] | undefined {
  const used = entries.reduce((s, e) => s + e.bytes, 0);
  let over = used + need - budget;
  if (over <= 0) return [];
  const candidates = entries.filter((e) => e.pins === 0).sort((a, b) => reuseScore(a, now, halfLifeMs) - reuseScore(b, now, halfLifeMs));
  const victims: T[] = [];
  for (const e of candidates) {
    if (over <= 0) break;
    victims.push(e);
    over -= e.bytes;
  }
  return over <= 0 ? victims : undefined;
}
