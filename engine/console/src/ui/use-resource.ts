/**
 * Loading what a page shows: `useResource` runs a request when its inputs change (and again on
 * `reload`), cancelling the one before; `usePoll` repeats work while a condition holds, so live
 * pages (instances, running predictions, the cluster) follow the engine without a reload.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem } from '../api';

export interface Resource<T> {
  data: T | undefined;
  error: ApiProblem | undefined;
  loading: boolean;
  reload: () => void;
  setData: (value: T) => void;
}

function asProblem(err: unknown): ApiProblem {
  return err instanceof ApiProblem ? err : new ApiProblem(0, 'Something went wrong', (err as Error)?.message ?? String(err));
}

export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiProblem | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    load(ctl.signal)
      .then((value) => {
        if (ctl.signal.aborted) return;
        setData(value);
        setError(undefined);
      })
      .catch((err) => {
        if (!ctl.signal.aborted) setError(asProblem(err));
      })
      .finally(() => !ctl.signal.aborted && setLoading(false));
    return () => ctl.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}

/** Calls `fn` every `ms` while `active`; a slow call is never overlapped by the next. */
export function usePoll(fn: () => Promise<unknown> | void, ms: number, active: boolean): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!active) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const step = async () => {
      try {
        await saved.current();
      } catch {
        // the page shows its own errors; polling carries on
      }
      if (!stopped) timer = setTimeout(step, ms);
    };
    timer = setTimeout(step, ms);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [ms, active]);
}
