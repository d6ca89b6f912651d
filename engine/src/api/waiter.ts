/**
 * Lets a request wait for a prediction to change, in any process: the store NOTIFYs
 * `gantry_prediction` with `<id>:<event>` on every change and this fans those out.
 */
import type { Listener } from '../store/listen';
import { PREDICTION_CHANNEL } from '../store/predictions';

type Wake = (event: string) => void;

export class PredictionWaiter {
  private readonly waiting = new Map<string, Set<Wake>>();

  constructor(listener: Listener) {
    listener.on(PREDICTION_CHANNEL, (payload: string) => {
      const sep = payload.lastIndexOf(':');
      const id = payload.slice(0, sep);
      const event = payload.slice(sep + 1);
      for (const wake of this.waiting.get(id) ?? []) wake(event);
    });
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
   * for anything that happened before subscribing.
   */
  untilCompleted(id: string, seconds: number, check: () => Promise<boolean>): { done: Promise<void>; cancel(): void } {
    let unsubscribe: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      finish = () => {
        if (timer) clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      unsubscribe = this.subscribe(id, (event) => event === 'completed' && finish());
      timer = setTimeout(finish, seconds * 1000);
      void check().then((completed) => completed && finish(), () => undefined);
    });
    return { done, cancel: finish };
  }
}
