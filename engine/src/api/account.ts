/** Account, hardware and price endpoints (tokens: tokens.ts). */
import type { FastifyInstance } from 'fastify';
import { SKUS } from '../core/hardware';
import { liveWorkers } from '../store/workers';
import type { ApiContext } from './context';

/** The SKUs some live worker declares it can serve. */
async function servedSkus(ctx: ApiContext): Promise<Set<string>> {
  const served = new Set<string>();
  for (const w of await liveWorkers(ctx.db, ctx.workerStaleSeconds)) {
    for (const sku of ((w.devices as { hardware?: string[] }).hardware ?? [])) served.add(sku);
  }
  return served;
}

export function accountRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // No GitHub account: Replicate documents github_url as a URL string, so it is left out, not null.
  app.get('/v1/account', async () => ({ type: 'organization', username: 'gantry', name: 'Gantry' }));

  // The SKUs some live worker can serve (Replicate returns a bare array of {name, sku}).
  app.get('/v1/hardware', async () => {
    const served = await servedSkus(ctx);
    return SKUS.filter((s) => served.has(s.sku)).map((s) => ({ name: s.name, sku: s.sku }));
  });

  // Extension: every SKU with this engine's price (GANTRY_PRICES applied) and whether a live worker
  // serves it now; what the console prices deployments, idle instances and hardware-time rules with.
  app.get('/v1/prices', async () => {
    const served = await servedSkus(ctx);
    return {
      results: SKUS.map((s) => {
        const perSecond = ctx.prices[s.sku] ?? s.pricePerSecond;
        return {
          sku: s.sku,
          name: s.name,
          gpu_count: s.gpuCount,
          gpu_memory_gb: s.gpuMemoryGb,
          price_per_second_usd: perSecond,
          price_per_hour_usd: Math.round(perSecond * 3600 * 1e6) / 1e6,
          served: served.has(s.sku),
        };
      }),
    };
  });
}
