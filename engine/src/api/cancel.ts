/**
 * Cancelling: a queued prediction is canceled here at once; a running one is flagged and its
 * worker stops it (the worker owns the terminal state of what it runs).
 */
import { notFound } from '../core/errors';
import { isTerminal, toWire, type Kind } from '../core/prediction';
import { getPrediction, requestCancel } from '../store/predictions';
import type { ApiContext } from './context';

export async function cancelPrediction(ctx: ApiContext, id: string, kind: Kind) {
  const row = await getPrediction(ctx.db, id, kind);
  if (!row) throw notFound(`${kind === 'training' ? 'Training' : 'Prediction'} ${id}`);
  if (row.status === 'starting') {
    await ctx.lifecycle.endWithoutRun(row, { status: 'canceled' });
  } else if (row.status === 'processing') {
    // Give the worker a moment so the answer usually shows the final state (subscribe first, so a
    // fast cancel cannot slip in between).
    const waiting = ctx.waiter.untilCompleted(id, 5, async () => isTerminal((await getPrediction(ctx.db, id))?.status ?? 'failed'));
    await requestCancel(ctx.db, id);
    const finished = await waiting.done;
    if (finished) return toWire(finished, ctx.publicUrl);
  }
  const after = (await getPrediction(ctx.db, id, kind)) ?? row;
  return toWire(after, ctx.publicUrl);
}
