/**
 * `gantry check owner/name --input '{…}'`: starts a model check on a running engine, shows a
 * progress bar while it runs, prints the report (a table, `--json` or `--markdown`) and exits 1
 * when an item fails, so that it can gate a CI pipeline.
 */
import { callEngine, clientCommand, columns, jsonFlag, UsageError, type Parsed } from './cli-args';

export const CHECK_USAGE = `usage:
  gantry check <owner/name[:version]> --input '{…}' [--runs N] [--hardware cpu,gpu-t4] [--compare owner/name[:version]]
               [--deployment owner/name] [--timeout 60s] [--no-worst-case] [--worst-case-input '{…}']
               [--json | --markdown] [--url URL] [--token TOKEN]
      run a model check (real predictions) and print its report; exit status 1 when an item fails.
      --input and --worst-case-input take JSON or @file.json.

see README.md, "Test and Decide".`;

const FLAGS = {
  values: ['input', 'runs', 'hardware', 'compare', 'deployment', 'timeout', 'worst-case-input', 'url', 'token', 'poll'],
  booleans: ['json', 'markdown', 'no-worst-case'],
};
const STATUS_MARK: Record<string, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skipped: 'SKIP' };

interface CheckObject {
  id: string;
  status: string;
  error: string | null;
  logs: string;
  progress: { planned: number; finished: number };
  report: null | {
    status: string;
    counts: Record<string, number>;
    items: Array<{ key: string; title: string; status: string; summary: string }>;
    totals: { predictions: number; cost_usd: number };
  };
  urls: { get: string };
}

export function checkBody(parsed: Parsed): Record<string, unknown> {
  if (parsed.words.length !== 1) throw new UsageError('check needs one model: owner/name or owner/name:version');
  const input = jsonFlag(parsed, 'input');
  if (input === undefined) throw new UsageError('--input is required (the model input as JSON, or @file.json)');
  const body: Record<string, unknown> = { model: parsed.words[0], input };
  const runs = parsed.flags.get('runs');
  if (typeof runs === 'string') {
    if (!/^\d+$/.test(runs)) throw new UsageError('--runs must be a whole number');
    body.runs = Number(runs);
  }
  const hardware = parsed.flags.get('hardware');
  if (typeof hardware === 'string') body.hardware = hardware.split(',').map((s) => s.trim()).filter(Boolean);
  for (const [flag, field] of [['compare', 'compare_with'], ['deployment', 'deployment'], ['timeout', 'timeout']] as const) {
    const value = parsed.flags.get(flag);
    if (typeof value === 'string') body[field] = value;
  }
  const marked = jsonFlag(parsed, 'worst-case-input');
  if (parsed.flags.has('no-worst-case')) body.worst_case = marked === undefined ? false : { from_schema: false, inputs: [marked] };
  else if (marked !== undefined) body.worst_case = { from_schema: true, inputs: [marked] };
  return body;
}

function bar(done: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} runs`;
}

function lastLine(logs: string): string {
  const lines = logs.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/** Redraws one line on a terminal; elsewhere (CI logs) prints a line when the progress moves. */
function progressPrinter() {
  const tty = process.stderr.isTTY === true;
  let shown = '';
  return {
    show(check: CheckObject) {
      const line = `${bar(check.progress.finished, check.progress.planned)}  ${check.status}  ${lastLine(check.logs).slice(0, 60)}`;
      if (line === shown) return;
      shown = line;
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else process.stderr.write(`${line}\n`);
    },
    end() {
      if (tty && shown) process.stderr.write('\n');
    },
  };
}

function reportLines(check: CheckObject): string[] {
  const r = check.report;
  if (!r) return [`check ${check.id} ${check.status}${check.error ? `: ${check.error}` : ''} (no report)`];
  const rows = [['item', 'status', 'summary'], ...r.items.map((i) => [i.key, STATUS_MARK[i.status] ?? i.status, i.summary])];
  return [
    ...columns(rows),
    '',
    `result: ${STATUS_MARK[r.status] ?? r.status} (${r.counts.pass} pass, ${r.counts.warn} warn, ${r.counts.fail} fail, ${r.counts.skipped} skipped); ` +
      `${r.totals.predictions} predictions, $${r.totals.cost_usd}; check ${check.status}`,
    `report: ${check.urls.get} (add ?format=markdown for a page)`,
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runCheck(parsed: Parsed): Promise<number> {
  const body = checkBody(parsed);
  const pollMs = Number(parsed.flags.get('poll') ?? 500);
  let check = (await callEngine(parsed, 'POST', '/v1/checks', body)).json as unknown as CheckObject;
  // Ctrl-C cancels the check on the engine too (its predictions stop), then exits.
  const onInterrupt = () => {
    void callEngine(parsed, 'POST', `/v1/checks/${check.id}/cancel`).finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  const progress = progressPrinter();
  try {
    while (check.status === 'starting' || check.status === 'processing') {
      progress.show(check);
      await sleep(pollMs);
      check = (await callEngine(parsed, 'GET', `/v1/checks/${check.id}`)).json as unknown as CheckObject;
    }
    progress.show(check);
  } finally {
    progress.end();
    process.removeListener('SIGINT', onInterrupt);
  }
  if (parsed.flags.has('markdown')) process.stdout.write((await callEngine(parsed, 'GET', `/v1/checks/${check.id}`, undefined, 'text/markdown')).text);
  else if (parsed.flags.has('json')) console.log(JSON.stringify(check, null, 2));
  else for (const line of reportLines(check)) console.log(line);
  return check.status === 'succeeded' && check.report?.status !== 'fail' ? 0 : 1;
}

/** Runs `gantry check <args>`; resolves to the exit status. */
export const checkCommand = clientCommand(CHECK_USAGE, FLAGS, runCheck);
