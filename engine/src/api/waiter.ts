/**
 * Lets a request wait for a prediction to change, in any process: the store NOTIFYs
 * `gantry_prediction` with `<id>:<event>` on every change and this fans those out. A prediction
 * usually finishes in another process (a fleet's worker), so a wait also re-reads the row every
 * second (`isFinished`): a notification lost to a dropped LISTEN connection delays the answer by
 * at most that, never past the wait.
 */
import type { Listener } from '../store/listen';
import { PREDICTION_CHANNEL } from '../store/predictions';
import type { PredictionRow } from '../core/prediction';

/** `row` is given when the change happened in this process (no need to read it back). */
type Wake = (event: string, row?: PredictionRow) => void;

export class PredictionWaiter {
  private readonly waiting = new Map<string, Set<Wake>>();
  /**
   * Predictions this process is finishing right now, and whether the database's `completed`
   * NOTIFY already arrived for one (it can come before the finishing statement's own answer).
   */
  private readonly finishing = new Map<string, { notified: boolean }>();

  constructor(
    listener: Listener,
    private readonly isFinished?: (id: string) => Promise<boolean>,
    private readonly pollMs = 1000,
  ) {
    listener.on(PREDICTION_CHANNEL, (payload: string) => {
      const sep = payload.lastIndexOf(':');
      const id = payload.slice(0, sep);
      const event = payload.slice(sep + 1);
      const local = event === 'completed' ? this.finishing.get(id) : undefined;
      // Finished here: the row is on its way (finishedHere); reading it back would cost a query.
      if (local) local.notified = true;
      else for (const wake of this.waiting.get(id) ?? []) wake(event);
    });
  }

  /** This process is about to finish `id` (Lifecycle.finish). */
  finishingHere(id: string): void {
    if (this.waiting.has(id)) this.finishing.set(id, { notified: false });
  }

  /** The finish of `id` here is over: with the row when it did finish it, else wake on any NOTIFY that came meanwhile. */
  finishedHere(id: string, row: PredictionRow | undefined): void {
    const local = this.finishing.get(id);
    this.finishing.delete(id);
    if (row) for (const wake of this.waiting.get(id) ?? []) wake('completed', row);
    else if (local?.notified) for (const wake of this.waiting.get(id) ?? []) wake('completed');
  }

  /** Calls `onEvent` for every change of prediction `id` until the returned function is called. */
  subscribe(id: string, onEvent: Wake): () => void {
    let set = this.waiting.get(id);
    if (!set) this.waiting.set(id, (set = new Set()));
    set.add(onEvent);
    return () => {
      set.delete(onEvent);
      if (set.size === 0) this.waiting.delete(id);
    };
  }

  /**
   * Resolves when the prediction completes or after `seconds`, whichever comes first. Subscribe
   * before the work is enqueued, so a completion cannot slip in between; `check` closes the gap
   * for anything that happened before subscribing. Resolves with the final row when it finished
   * in this process.
   */
  untilCompleted(id: string, seconds: number, check: () => Promise<boolean>): { done: Promise<PredictionRow | undefined>; cancel(): void } {
    let unsubscribe: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    let finish: (row?: PredictionRow) => void = () => undefined;
    const done = new Promise<PredictionRow | undefined>((resolve) => {
      finish = (row?: PredictionRow) => {
        if (timer) clearTimeout(timer);
        unsubscribe();
        resolve(row);
      };
      unsubscribe = this.subscribe(id, (event, row) => event === 'completed' && finish(row));
      timer = setTimeout(() => finish(), seconds * 1000);
      void check().then((completed) => completed && finish(), () => undefined);
      const isFinished = this.isFinished;
      if (isFinished) {
        const poll = setInterval(() => void isFinished(id).then((done) => done && finish(), () => undefined), this.pollMs);
        const end = finish;
        finish = (row?: PredictionRow) => {
          clearInterval(poll);
          end(row);
        };
      }
    });
    return { done, cancel: () => finish() };
  }
}
