/**
 * The artifacts a worker keeps on its own disk (and, optionally, in host memory: a directory on
 * tmpfs), within byte budgets. Whoever downloads an artifact asks `makeRoom` first; what gives way
 * is chosen by expected reuse (cache-policy.ts), never an artifact a running instance uses
 * (`pin`). A boot may go over the disk budget when pinned artifacts leave no room (it must run);
 * that copy is dropped as soon as nothing uses it. A prefetch never goes over.
 *
 * The memory tier holds copies of the hottest artifacts: an artifact used a second time is copied
 * there (in the background) when it fits, so its next boots read it at memory speed.
 *
 * Entries are keys of the object store (`weights/<training id>`) stored at `<dir>/<key>`; what is
 * on disk at start is adopted (with no use history).
 */
import { cp, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { chooseVictims, oneMoreUse, reuseScore, type CacheEntryStats } from './cache-policy';

export type CacheTier = 'memory' | 'disk';

export interface ArtifactCacheSettings {
  /** Disk budget in bytes. */
  diskBytes: number;
  /** Host-memory budget in bytes; 0 turns the memory tier off. */
  memoryBytes: number;
  /** Where memory copies live (a tmpfs); needed when memoryBytes > 0. */
  memoryDir?: string;
}

interface Entry extends CacheEntryStats {
  inMemory: boolean;
  /** Kept over the budget for a boot: removed once unpinned. */
  overBudget: boolean;
  promoting?: Promise<void>;
}

/** Lookups by outcome and bytes fetched from the store, since this process started. */
export interface CacheCounters {
  memory: number;
  disk: number;
  miss: number;
  fetchedBytes: number;
  evictions: number;
}

export interface CacheSummary {
  budget_bytes: number;
  used_bytes: number;
  memory_budget_bytes: number;
  memory_used_bytes: number;
  hits_memory: number;
  hits_disk: number;
  misses: number;
  fetched_bytes: number;
  evictions: number;
}

async function sizeOf(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(path)) total += await sizeOf(join(path, e));
  return total;
}

export class ArtifactCache {
  private readonly entries = new Map<string, Entry>();
  readonly counters: CacheCounters = { memory: 0, disk: 0, miss: 0, fetchedBytes: 0, evictions: 0 };
  /** Called after an entry is added, removed or changes tier (the worker re-reports what it holds). */
  onChange: () => void = () => undefined;

  constructor(
    private readonly diskDir: string,
    readonly settings: ArtifactCacheSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adopts what an earlier process of this host left in the cache (`<dir>/<prefix>/<id>`). */
  async load(prefixes: readonly string[]): Promise<void> {
    if (this.settings.memoryBytes > 0 && this.settings.memoryDir) await rm(this.settings.memoryDir, { recursive: true, force: true });
    for (const prefix of prefixes) {
      const dir = join(this.diskDir, prefix);
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (name.endsWith('.partial')) {
          await rm(join(dir, name), { recursive: true, force: true });
          continue;
        }
        const key = `${prefix}/${name}`;
        const bytes = await sizeOf(join(dir, name));
        this.entries.set(key, { key, bytes, uses: 0, lastUsedAt: 0, pins: 0, inMemory: false, overBudget: false });
      }
    }
    // A smaller budget than last time: trim to it now.
    await this.evictFor(0, false);
  }

  diskPath(key: string): string {
    return join(this.diskDir, ...key.split('/'));
  }

  private memoryPath(key: string): string {
    return join(this.settings.memoryDir ?? '', ...key.split('/'));
  }

  /** The fastest tier holding `key`, if any. */
  tierOf(key: string): CacheTier | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    return e.inMemory ? 'memory' : 'disk';
  }

  /** Where a process reads `key` from: its memory copy when there is one. */
  pathOf(key: string): string {
    return this.entries.get(key)?.inMemory ? this.memoryPath(key) : this.diskPath(key);
  }

  bytesOf(key: string): number | undefined {
    return this.entries.get(key)?.bytes;
  }

  /** Counts one lookup's outcome (for metrics). */
  count(outcome: CacheTier | 'miss', fetchedBytes = 0): void {
    this.counters[outcome]++;
    this.counters.fetchedBytes += fetchedBytes;
  }

  /**
   * Makes room for `bytes` more on disk by evicting by expected reuse. `forBoot`: when pinned
   * entries leave no room, the caller may still store it (the boot must run); else resolves false
   * and nothing may be stored.
   */
  async makeRoom(bytes: number, forBoot: boolean): Promise<boolean> {
    return this.evictFor(bytes, forBoot);
  }

  private async evictFor(bytes: number, forBoot: boolean): Promise<boolean> {
    const now = this.now();
    const all = [...this.entries.values()];
    let victims = chooseVictims(all, bytes, this.settings.diskBytes, now);
    if (!victims) {
      if (!forBoot) return false;
      victims = all.filter((e) => e.pins === 0); // everything that can go, goes
    }
    for (const v of victims) await this.remove(v.key);
    return true;
  }

  /** Records an artifact now stored at `diskPath(key)`. */
  add(key: string, bytes: number): void {
    const used = [...this.entries.values()].reduce((s, e) => s + e.bytes, 0);
    const prior = this.entries.get(key);
    this.entries.set(key, {
      key,
      bytes,
      uses: prior?.uses ?? 0,
      lastUsedAt: prior?.lastUsedAt ?? this.now(),
      pins: prior?.pins ?? 0,
      inMemory: prior?.inMemory ?? false,
      overBudget: !prior && used + bytes > this.settings.diskBytes,
    });
    this.onChange();
  }

  /** One more use of `key` (a boot or a prefetch); the second use makes it a memory candidate. */
  noteUse(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    const now = this.now();
    e.uses = oneMoreUse(e, now);
    e.lastUsedAt = now;
    // Above 1.5: used twice, the first time recently enough to count (uses decay).
    if (e.uses > 1.5 && !e.inMemory && !e.promoting && this.settings.memoryBytes > 0) {
      e.promoting = this.promote(e).finally(() => (e.promoting = undefined));
    }
  }

  /** Marks `key` in use by a running instance until the returned function is called. */
  pin(key: string): () => void {
    const e = this.entries.get(key);
    if (!e) return () => undefined;
    e.pins++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      e.pins--;
      if (e.pins === 0 && e.overBudget && this.entries.get(key) === e) void this.remove(key);
    };
  }

  /** Waits for background copies into memory (tests and shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.promoting));
  }

  private async promote(e: Entry): Promise<void> {
    if (e.bytes > this.settings.memoryBytes) return;
    const now = this.now();
    const inMemory = [...this.entries.values()].filter((x) => x.inMemory);
    const used = inMemory.reduce((s, x) => s + x.bytes, 0);
    // Only displace memory copies worth less than this one; a memory copy in use stays.
    const cheaper = inMemory.filter((x) => reuseScore(x, now) < reuseScore(e, now));
    const victims = chooseVictims(cheaper, e.bytes, this.settings.memoryBytes - (used - cheaper.reduce((s, x) => s + x.bytes, 0)), now);
    if (!victims) return;
    for (const v of victims) {
      v.inMemory = false;
      await rm(this.memoryPath(v.key), { recursive: true, force: true });
    }
    const target = this.memoryPath(e.key);
    try {
      await rm(target, { recursive: true, force: true });
      await mkdir(join(target, '..'), { recursive: true });
      await cp(this.diskPath(e.key), target, { recursive: true });
      if (this.entries.get(e.key) === e) e.inMemory = true;
      else await rm(target, { recursive: true, force: true });
    } catch {
      await rm(target, { recursive: true, force: true });
    }
    this.onChange();
  }

  private async remove(key: string): Promise<void> {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.counters.evictions++;
    await rm(this.diskPath(key), { recursive: true, force: true });
    if (e.inMemory) await rm(this.memoryPath(key), { recursive: true, force: true });
    this.onChange();
  }

  /**
   * Gives the memory tier back (its copies live in host RAM, which a stopped worker must not keep
   * holding); the disk copies stay for the next process.
   */
  async close(): Promise<void> {
    await this.settled();
    if (this.settings.memoryBytes > 0 && this.settings.memoryDir) await rm(this.settings.memoryDir, { recursive: true, force: true });
    for (const e of this.entries.values()) e.inMemory = false;
  }

  /** What is held: key, fastest tier and bytes. */
  held(): Array<{ key: string; tier: CacheTier; bytes: number }> {
    return [...this.entries.values()].map((e) => ({ key: e.key, tier: e.inMemory ? 'memory' : 'disk', bytes: e.bytes }));
  }

  summary(): CacheSummary {
    const all = [...this.entries.values()];
    return {
      budget_bytes: this.settings.diskBytes,
      used_bytes: all.reduce((s, e) => s + e.bytes, 0),
      memory_budget_bytes: this.settings.memoryBytes,
      memory_used_bytes: all.filter((e) => e.inMemory).reduce((s, e) => s + e.bytes, 0),
      hits_memory: this.counters.memory,
      hits_disk: this.counters.disk,
      misses: this.counters.miss,
      fetched_bytes: this.counters.fetchedBytes,
      evictions: this.counters.evictions,
    };
  }
}
