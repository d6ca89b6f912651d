/** The report as a Markdown page (GET /v1/checks/{id} with Accept: text/markdown; `gantry check --markdown`). Pure. */
import type { Report } from './report';

const ICON: Record<string, string> = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail', skipped: '⏭️ skipped' };

/** Table cells cannot hold a pipe or a line break. */
function cell(value: unknown): string {
  const text = value === null || value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(head: string[], rows: unknown[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

const isSpread = (v: unknown): v is Record<string, number> =>
  !!v && typeof v === 'object' && !Array.isArray(v) && ['mean', 'p50', 'p95', 'max'].every((k) => k in (v as object));

function scalar(value: unknown): string {
  if (isSpread(value)) return `mean ${value.mean} · p50 ${value.p50} · p95 ${value.p95} · max ${value.max} (n=${value.n})`;
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) return value.join(', ') || '—';
  return cell(value);
}

/** Figures: plain values as a two-column table; lists of records as tables of their own. */
function figures(fig: Record<string, unknown>): string[] {
  const plain: unknown[][] = [];
  const lists: string[] = [];
  for (const [key, value] of Object.entries(fig)) {
    if (Array.isArray(value) && value.length > 0 && value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
      const rows = value as Array<Record<string, unknown>>;
      const head = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      lists.push('', `*${key}*`, '', ...table(head, rows.map((r) => head.map((h) => (isSpread(r[h]) ? scalar(r[h]) : r[h])))));
    } else if (value && typeof value === 'object' && !Array.isArray(value) && !isSpread(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) plain.push([`${key}.${k}`, scalar(v)]);
    } else plain.push([key, scalar(value)]);
  }
  return [...(plain.length ? ['', ...table(['figure', 'value'], plain)] : []), ...lists];
}

export function reportMarkdown(check: { id: string; status: string; created_at: string; completed_at: string | null }, report: Report | null): string {
  const lines = [`# Model check ${check.id}`, ''];
  if (!report) {
    lines.push(`Status: **${check.status}** (created ${check.created_at}); the report is written when the check ends.`);
    return `${lines.join('\n')}\n`;
  }
  const compare = report.compare_with ? `, compared with \`${report.compare_with.model}:${report.compare_with.version}\`` : '';
  lines.push(
    `**${report.model}** \`${report.version}\` on \`${report.hardware}\`${compare}.`,
    '',
    `Result: **${ICON[report.status]}** — ${report.counts.pass} pass, ${report.counts.warn} warn, ${report.counts.fail} fail, ${report.counts.skipped} skipped. ` +
      `${report.totals.predictions} predictions, $${report.totals.cost_usd}, check ${check.status}${check.completed_at ? ` at ${check.completed_at}` : ''}.`,
  );
  if (report.stopped) lines.push('', `The check stopped early: ${report.stopped}.`);
  lines.push('', ...table(['item', 'status', 'summary'], report.items.map((i) => [i.title, ICON[i.status], i.summary])));
  for (const i of report.items) {
    lines.push('', `## ${i.title} — ${ICON[i.status]}`, '', i.summary, '', `_${i.description}_`);
    if (Object.keys(i.figures).length) lines.push(...figures(i.figures));
  }
  lines.push(
    '',
    '## Runs',
    '',
    ...table(
      ['run', 'prediction', 'hardware', 'status', 'predict_time_s', 'total_time_s', 'cost_usd'],
      [...report.runs, ...(report.superseded_runs ?? [])].map((r) => [
        report.runs.includes(r) ? r.key : `${r.key} (attempt ${r.attempt}, made again)`,
        r.prediction_id, r.hardware, r.error ? `${r.status}: ${r.error}` : r.status, r.predict_time_s, r.total_time_s, r.cost_usd,
      ]),
    ),
    '',
    `Percentiles are ${report.conventions.percentiles}; ${report.conventions.source}.`,
  );
  return `${lines.join('\n')}\n`;
}
