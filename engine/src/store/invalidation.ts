/**
 * Cross-process cache invalidation: a process that changes tokens, versions or webhook
 * subscriptions NOTIFYs `gantry_cache` with what changed, and every process (API replicas,
 * workers, controllers) drops its cached copies. Caches keep their short TTL as a bound when a
 * notification is lost (a listener reconnecting clears everything).
 */
import type { Queryable } from './db';

export const CACHE_CHANNEL = 'gantry_cache';

export type CacheName = 'tokens' | 'versions' | 'subscriptions';

export const CACHE_NAMES: readonly CacheName[] = ['tokens', 'versions', 'subscriptions'];

export async function announceInvalidation(db: Queryable, what: CacheName): Promise<void> {
  await db.query(`SELECT pg_notify('${CACHE_CHANNEL}', $1)`, [what]);
}

export function isCacheName(payload: string): payload is CacheName {
  return (CACHE_NAMES as readonly string[]).includes(payload);
}
