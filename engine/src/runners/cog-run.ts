/**
 * One prediction or training on a Cog server, followed through the states the server reports:
 * the body of a synchronous PUT, or the webhooks of an asynchronous one. Every state is the whole
 * prediction so far (Cog sends snapshots, not deltas, and drops throttled ones), so the run keeps
 * how much it has relayed and passes on only what is new: log lines to `onLog`, items of a
 * streamed (iterator) output to `onEmit`, billing metrics once at the end.
 */
import { RunError, type RunHandlers, type RunResult } from './node-instance';
import { TERMINAL_STATUSES, type CogState } from './cog-http';

/** Cog metrics that are billing quantities here, by the name the pricing rules read. */
const BILLING_METRICS: Record<string, string> = {
  image_count: 'image_count',
  image_output_count: 'image_count',
  input_token_count: 'input_token_count',
  token_input_count: 'input_token_count',
  output_token_count: 'output_token_count',
  token_output_count: 'output_token_count',
  audio_output_duration_seconds: 'audio_output_seconds',
  video_output_duration_seconds: 'video_output_seconds',
};

export class CogRun {
  /** The engine asked to cancel. */
  canceled = false;
  /** The server answered the PUT: it knows the id, so a cancel can reach it. */
  accepted = false;
  /** Drops the connection of a synchronous PUT (Cog's cancel for sync predictions). */
  readonly abort = new AbortController();
  /** Called when the run is canceled, to wake anything it waits on. */
  readonly wakers = new Set<() => void>();
  private logChars = 0;
  private pieces = 0;
  private settled = false;
  private resolveTerminal!: (state: CogState) => void;
  private rejectTerminal!: (err: RunError) => void;
  /** The terminal state, or a RunError when the run ended without one (crash, cancel timeout). */
  readonly terminal: Promise<CogState>;

  constructor(
    readonly id: string,
    /** `/predictions/{id}` or `/trainings/{id}`. */
    readonly path: string,
    private readonly handlers: RunHandlers,
  ) {
    this.terminal = new Promise<CogState>((resolve, reject) => {
      this.resolveTerminal = resolve;
      this.rejectTerminal = reject;
    });
    // Nobody awaits it when the PUT itself failed; that is not an unhandled rejection.
    this.terminal.catch(() => undefined);
  }

  get done(): boolean {
    return this.settled;
  }

  /** A state from the server: relays what is new; a terminal state settles the run. */
  receive(state: CogState): void {
    if (this.settled) return;
    const terminal = TERMINAL_STATUSES.has(state.status ?? '');
    this.relayLogs(state.logs, terminal);
    // While running, `output` is the list of items yielded so far; the final output may differ
    // (a single value, or the full list), and is the run's result rather than a progress piece.
    if (!terminal && Array.isArray(state.output)) {
      for (; this.pieces < state.output.length; this.pieces++) this.handlers.onEmit(state.output[this.pieces]);
    }
    if (!terminal) return;
    for (const [name, value] of Object.entries(state.metrics ?? {})) {
      if (BILLING_METRICS[name] && typeof value === 'number') this.handlers.onMetric(BILLING_METRICS[name], value);
    }
    this.settled = true;
    this.resolveTerminal(state);
  }

  /** Ends the run without a terminal state from the server. */
  fail(err: RunError): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectTerminal(err);
  }

  /** A line of the engine's own about this run (shown in its logs). */
  log(line: string): void {
    if (!this.settled) this.handlers.onLog(line);
  }

  cancel(): void {
    this.canceled = true;
    for (const wake of [...this.wakers]) wake();
  }

  /** Whole lines while running (the last one may still grow); everything once it is over. */
  private relayLogs(logs: string | undefined, terminal: boolean): void {
    if (typeof logs !== 'string' || logs.length <= this.logChars) return;
    const end = terminal ? logs.length : logs.lastIndexOf('\n') + 1;
    if (end <= this.logChars) return;
    for (const line of logs.slice(this.logChars, end).split('\n')) if (line) this.handlers.onLog(line);
    this.logChars = end;
  }
}

/** What a terminal state means for the engine: the output, or a RunError. */
export function outcome(state: CogState, canceled: boolean): RunResult {
  if (state.status === 'canceled') throw new RunError('canceled', true);
  if (state.status === 'succeeded') return { output: state.output ?? null };
  if (canceled) throw new RunError('canceled', true);
  throw new RunError(state.error || 'the model failed (the Cog server gave no error message)', false);
}
