/**
 * A check report item's `figures` as the console shows them: plain values as rows of a two-column
 * table (nested objects flattened to `seed.used`), lists of records (hardware per SKU, worst-case
 * cases) as tables of their own. Values read by the report's conventions: `_s` seconds, `_usd`
 * dollars, `_rate` a fraction, `_ratio` a multiple; prediction ids become links. Pure.
 */
import { percent, ratio, seconds, usd } from './format';

export interface Cell {
  text: string;
  /** Prediction ids the cell names (shown as links to their pages). */
  predictions?: string[];
}
export interface FigureTable {
  name: string;
  columns: string[];
  rows: Cell[][];
}
export interface FigureView {
  rows: Array<{ name: string; cell: Cell }>;
  tables: FigureTable[];
}

type Unit = 'seconds' | 'usd' | 'fraction' | 'ratio' | undefined;

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const PREDICTION_KEYS = new Set(['prediction_id', 'prediction', 'predictions']);
/** Figures that are fractions without saying so in their name. */
const FRACTIONS = new Set(['text_similarity', 'within', 'utilisation']);

/** The unit a figure's name declares, or the unit of the figure it belongs to (`predict_time_s.mean`). */
export function unitOf(key: string, parent?: Unit): Unit {
  if (/_s$/.test(key)) return 'seconds';
  if (/_usd$/.test(key)) return 'usd';
  if (/_rate$/.test(key) || FRACTIONS.has(key)) return 'fraction';
  if (/_ratio$/.test(key)) return 'ratio';
  return ['mean', 'p50', 'p95', 'min', 'max'].includes(key) ? parent : undefined;
}

const isSpread = (v: unknown): v is Record<'n' | 'mean' | 'p50' | 'p95' | 'max', number> =>
  isRecord(v) && ['n', 'mean', 'p50', 'p95', 'max'].every((k) => typeof v[k] === 'number');

function scalarText(value: unknown, unit: Unit): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    if (unit === 'seconds') return seconds(value);
    if (unit === 'usd') return usd(value);
    if (unit === 'fraction') return percent(value);
    if (unit === 'ratio') return ratio(value);
    return String(value);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One value in one cell: spreads as `mean · p50 · p95 · max (n)`, records as `k: v; …`. */
export function cellOf(key: string, value: unknown, parent?: Unit): Cell {
  const unit = unitOf(key, parent);
  if (PREDICTION_KEYS.has(key)) {
    const ids = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && v !== '');
    return { text: ids.join(', ') || '—', predictions: ids };
  }
  if (isSpread(value)) {
    const f = (k: 'mean' | 'p50' | 'p95' | 'max') => scalarText(value[k], unit);
    return { text: `mean ${f('mean')} · p50 ${f('p50')} · p95 ${f('p95')} · max ${f('max')} (n=${value.n})` };
  }
  if (Array.isArray(value)) {
    if (!value.length) return { text: '—' };
    return { text: value.map((v) => (isRecord(v) ? recordText(v, unit) : scalarText(v, unit))).join('; ') };
  }
  if (isRecord(value)) return { text: recordText(value, unit) || '—' };
  return { text: scalarText(value, unit) };
}

function recordText(record: Record<string, unknown>, parent: Unit): string {
  return Object.entries(record)
    .map(([k, v]) => `${k}: ${cellOf(k, v, parent).text}`)
    .join(', ');
}

const isRecordList = (v: unknown): v is Array<Record<string, unknown>> => Array.isArray(v) && v.length > 0 && v.every(isRecord);

function flatten(prefix: string, value: Record<string, unknown>, parent: Unit, out: FigureView): void {
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    const unit = unitOf(key, parent) ?? parent;
    if (isRecordList(v)) {
      const columns = [...new Set(v.flatMap((r) => Object.keys(r)))];
      out.tables.push({ name, columns, rows: v.map((r) => columns.map((c) => cellOf(c, r[c], unit))) });
    } else if (isRecord(v) && !isSpread(v)) {
      flatten(name, v, unit, out);
    } else {
      out.rows.push({ name, cell: cellOf(key, v, parent) });
    }
  }
}

export function figureView(figures: Record<string, unknown>): FigureView {
  const out: FigureView = { rows: [], tables: [] };
  flatten('', figures ?? {}, undefined, out);
  return out;
}
