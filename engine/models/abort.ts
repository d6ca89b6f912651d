/** The error a predictor throws when `ctx.signal` aborts (cancel): the signal's reason if it has one. */
export function abortError(signal: AbortSignal, what = 'prediction'): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(`${what} canceled`);
  err.name = 'AbortError';
  return err;
}
