/**
 * The process's logger (pino). Every line about a prediction carries `prediction_id`, `model`
 * and `request_id` (the X-Request-Id of the request that created it), so one grep follows a
 * prediction from its create through the worker to its end.
 *
 * GANTRY_LOG_FORMAT=json writes pino's JSON lines (for log collectors); `text` (the default)
 * writes the same records as `[gantry] message key=value …`, as the engine always printed.
 */
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: 'silent' | 'info' | 'debug';
  format: 'text' | 'json';
  /** Where lines go (default stdout). */
  write?: (line: string) => void;
}

/** pino's own fields, left out of text lines. */
const BASE_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/** One JSON record as a text line: the message, then its fields (strings quoted when needed). */
export function textLine(record: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(record);
  } catch {
    return record;
  }
  const fields = Object.entries(o)
    .filter(([k, v]) => !BASE_KEYS.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => {
      // An object stays JSON as it is (`req={"method":"GET",…}`), readable and greppable.
      if (typeof v === 'object') return `${k}=${JSON.stringify(v)}`;
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return `${k}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`;
    });
  const level = typeof o.level === 'number' && o.level >= 50 ? 'error: ' : typeof o.level === 'number' && o.level >= 40 ? 'warning: ' : '';
  return `[gantry] ${level}${String(o.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}\n`;
}

let root: Logger = pino({ level: 'silent' });

/** Lines about predictions are written at most this often (one write for all of them). */
const PREDICTION_LINES_FLUSH_MS = 100;

/**
 * Per-prediction lines (two or more for every prediction) are gathered and written together,
 * every PREDICTION_LINES_FLUSH_MS: a write to stdout is a system call, and one per line was a
 * measurable share of the engine's cost per prediction. Everything else (start-up, warnings,
 * errors) is written at once, and whatever waits is written when the process exits.
 */
function batchedWriter(write: (text: string) => void): (line: string, urgent: boolean) => void {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!pending) return;
    const text = pending;
    pending = '';
    write(text);
  };
  process.once('exit', flush);
  return (line, urgent) => {
    pending += line;
    if (urgent || pending.length > 64 * 1024) return flush();
    if (!timer) {
      timer = setTimeout(flush, PREDICTION_LINES_FLUSH_MS);
      timer.unref();
    }
  };
}

/** Sets up the process's logger (once, at start). */
export function configureLogger(opts: LoggerOptions): Logger {
  const out = batchedWriter(opts.write ?? ((line: string) => process.stdout.write(line)));
  const urgent = (record: string) => !record.includes('"prediction_id"') || /"level":(4|5|6)\d/.test(record);
  const destination = {
    write: (record: string) => out(opts.format === 'json' ? record : textLine(record), urgent(record)),
  };
  root = pino({ level: opts.level, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  return root;
}

export function logger(): Logger {
  return root;
}

export interface PredictionLike {
  id: string;
  model: string;
  kind?: string;
  version?: string;
  deployment?: string | null;
  request_id?: string | null;
}

/** The fields every line about this prediction carries. */
export function predictionFields(p: PredictionLike, requestId?: string | null) {
  return {
    prediction_id: p.id,
    model: p.model,
    request_id: requestId ?? p.request_id ?? null,
    ...(p.kind && p.kind !== 'prediction' ? { kind: p.kind } : {}),
    ...(p.deployment ? { deployment: p.deployment } : {}),
  };
}

/** A child logger for lines about one prediction. */
export function predictionLogger(p: PredictionLike, requestId?: string | null): Logger {
  return root.child(predictionFields(p, requestId));
}
