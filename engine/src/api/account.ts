/** Account and hardware endpoints (tokens: tokens.ts). */
import type { FastifyInstance } from 'fastify';
import { SKUS } from '../core/hardware';
import { liveWorkers } from '../store/workers';
import type { ApiContext } from './context';

export function accountRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // No GitHub account: Replicate documents github_url as a URL string, so it is left out, not null.
  app.get('/v1/account', async () => ({ type: 'organization', username: 'gantry', name: 'Gantry' }));

  // The SKUs some live worker can serve (Replicate returns a bare array of {name, sku}).
  app.get('/v1/hardware', async () => {
    const served = new Set<string>();
    for (const w of await liveWorkers(ctx.db, ctx.workerStaleSeconds)) {
      for (const sku of ((w.devices as { hardware?: string[] }).hardware ?? [])) served.add(sku);
    }
    return SKUS.filter((s) => served.has(s.sku)).map((s) => ({ name: s.name, sku: s.sku }));
  });
}
