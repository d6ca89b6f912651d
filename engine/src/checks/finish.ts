/** Ending a check (done, failed or canceled): its report, its row and its `completed` webhook in one transaction. */
import type { ApiContext } from '../api/context';
import { finishCheck, getCheck, type CheckRow } from '../store/checks';
import { checkProgress, checkReport } from './assemble';
import { emitCheckEvent } from './events';
import { checkWire } from './wire';

export type CheckEnd = { status: 'succeeded' } | { status: 'canceled'; why: string } | { status: 'failed'; error: string };

/** Returns the ended row, or undefined when the check had already ended. */
export async function endCheck(ctx: Pick<ApiContext, 'db' | 'prices' | 'publicUrl'>, id: string, end: CheckEnd): Promise<CheckRow | undefined> {
  const current = await getCheck(ctx.db, id);
  if (!current || (current.status !== 'starting' && current.status !== 'processing')) return undefined;
  const stopped = end.status === 'canceled' ? end.why : end.status === 'failed' ? `the check failed: ${end.error}` : undefined;
  // A check that failed before it could read its own plan still ends, without a report.
  const report = await checkReport(ctx, current, stopped).catch(() => null);
  return ctx.db.tx(async (q) => {
    const row = await finishCheck(q, id, { status: end.status, report, error: end.status === 'failed' ? end.error : null });
    if (row) {
      const progress = (await checkProgress({ db: q }, [row])).get(row.id)!;
      await emitCheckEvent(q, row, 'completed', checkWire(row, progress, ctx.publicUrl));
    }
    return row;
  });
}
