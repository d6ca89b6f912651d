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

  constructor(
    listener: Listener,
    private readonly isFinished?: (id: string) => Promise<boolean>,
    private readonly pollMs = 1000,
  ) {
    listener.on(PREDICTION_CHANNEL, (payload: string) => {
      const sep = payload.lastIndexOf(':');
      const id = payload.slice(0, sep);
      const event = payload.slice(sep + 1);
      for (const wake of this.waiting.get(id) ?? []) wake(event);
    });
  }

  /** A prediction finished in this process: wake its waiters with the row at once. */
  deliver(row: PredictionRow): void {
    for (const wake of this.waiting.get(row.id) ?? []) wake('completed', row);
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
