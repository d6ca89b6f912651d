/**
 * The one place where a prediction's (or training's) lifecycle events become webhooks. Every
 * terminal transition goes through `finish`, which moves the row to its terminal state and
 * enqueues the `completed` webhooks in the same transaction, so no path (worker, cancel,
 * sweeper) can finish a prediction without its final webhook, and a crash cannot split them.
 */
import type { Db } from './store/db';
import { finishPrediction, type Finish } from './store/predictions';
import { toWire, type PredictionRow } from './core/prediction';
import type { WebhookDispatcher } from './webhooks/dispatch';

export interface LifecycleOptions {
  /** Absent: no webhooks are sent (e.g. a tool that only reads). */
  webhooks?: WebhookDispatcher;
  /** The engine's public URL (bodies carry `urls`); a function because it is known after listen. */
  publicUrl: () => string;
  onError?: (err: Error) => void;
}

export class Lifecycle {
  constructor(
    private readonly db: Db,
    private readonly opts: LifecycleOptions,
  ) {}

  get publicUrl(): string {
    return this.opts.publicUrl();
  }

  wire(row: PredictionRow): Record<string, unknown> {
    return toWire(row, this.publicUrl);
  }

  /** Moves `id` to a terminal state once; returns the row when this call did it. */
  async finish(id: string, f: Finish): Promise<PredictionRow | undefined> {
    const hooks = this.opts.webhooks;
    if (!hooks) return finishPrediction(this.db, id, f);
    return this.db.tx(async (q) => {
      const row = await finishPrediction(q, id, f);
      if (row) await hooks.emit(row, 'completed', this.wire(row), q);
      return row;
    });
  }

  /** `start` (after the row became `processing`). Never throws: a webhook problem must not fail the run. */
  async started(row: PredictionRow): Promise<void> {
    await this.emit(row, 'start');
  }

  /** `output` and/or `logs` after a progress flush (throttled by the dispatcher). */
  async progressed(row: PredictionRow, changed: { output: boolean; logs: boolean }): Promise<void> {
    if (changed.output) await this.emit(row, 'output');
    if (changed.logs) await this.emit(row, 'logs');
  }

  private async emit(row: PredictionRow, event: 'start' | 'output' | 'logs'): Promise<void> {
    if (!this.opts.webhooks) return;
    try {
      await this.opts.webhooks.emit(row, event, this.wire(row));
    } catch (err) {
      this.opts.onError?.(err as Error);
    }
  }
}
