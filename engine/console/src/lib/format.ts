/** How amounts, durations, times and sizes read in the console. Pure. */

/** Dollars; small amounts keep their significant digits ($0.000213), larger ones cents. */
export function usd(amount: number | null | undefined): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return '—';
  if (amount === 0) return '$0';
  const abs = Math.abs(amount);
  if (abs >= 1) return `${amount < 0 ? '-' : ''}$${abs.toFixed(2)}`;
  if (abs >= 0.01) return `${amount < 0 ? '-' : ''}$${abs.toFixed(4).replace(/0+$/, '').replace(/\.$/, '')}`;
  // Three significant digits, trailing zeros dropped: $0.000213, $0.0000003.
  const digits = Math.min(12, 2 - Math.floor(Math.log10(abs)));
  const text = Number(abs.toPrecision(3)).toFixed(digits).replace(/0+$/, '').replace(/\.$/, '');
  return `${amount < 0 ? '-' : ''}$${text}`;
}

/** Seconds as `0.42 s`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value < 10) return `${value.toFixed(value < 1 ? 3 : 2)} s`;
  if (value < 60) return `${value.toFixed(1)} s`;
  if (value < 3600) return `${Math.floor(value / 60)} min ${String(Math.round(value % 60)).padStart(2, '0')} s`;
  return `${Math.floor(value / 3600)} h ${String(Math.round((value % 3600) / 60)).padStart(2, '0')} min`;
}

/** How long ago an instant was, from `now`: `just now`, `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago`. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${Math.floor(s)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** An ISO instant as `2025-01-31 14:05:09` (UTC, like the API's days). */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') + ' UTC';
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A version id shortened for tables (the full id is in the title and on the Versions tab). */
export const shortId = (id: string) => id.slice(0, 12);

/** A fraction (0..1) as a percentage: `100 %`, `33.3 %`, `0.05 %`. */
export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const p = value * 100;
  const digits = Number.isInteger(p) ? 0 : Math.abs(p) < 1 ? 2 : 1;
  return `${p.toFixed(digits)} %`;
}

/** A multiple of another value: `2.5×`, `0.0123×`. */
export function ratio(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${Number(value.toPrecision(3))}×`;
}
