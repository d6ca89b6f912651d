/**
 * A small map whose entries expire. Hot read paths (token checks, model → latest version) use it
 * so that a request does not cost a query per lookup; the TTL bounds how stale a read may be.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: K, value: V): V {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, until: Date.now() + this.ttlMs });
    return value;
  }

  /** The cached value, or `load()`'s (cached only when defined). */
  async through(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const value = await load();
    if (value !== undefined) this.set(key, value);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * A TtlCache shared in spirit by several processes: `clear()` (what a write that makes entries
 * stale calls) also tells the other processes, through `announce`, to drop theirs; they call
 * `clearLocal()` when told. Each process still bounds staleness by the TTL if a message is lost.
 */
export class InvalidatingCache<K, V> extends TtlCache<K, V> {
  constructor(
    ttlMs: number,
    private readonly announce: () => void,
    maxEntries?: number,
  ) {
    super(ttlMs, maxEntries);
  }

  override clear(): void {
    super.clear();
    this.announce();
  }

  /** Another process changed what this caches. */
  clearLocal(): void {
    super.clear();
  }
}
