/** `gantry decide`: the cost decision of a running engine's usage (GET or POST /v1/decide), as a table. */
import { callEngine, clientCommand, columns, jsonFlag, UsageError, type Parsed } from './cli-args';

export const DECIDE_USAGE = `usage:
  gantry decide [--since 30d] [--until DATE] [--group-by model|deployment] [--prices '{…}' | --prices @prices.json]
                [--json] [--url URL] [--token TOKEN]
      what the period's usage cost here, on Replicate (public, private) and on rented GPUs, with
      break-even utilisations and a recommendation. --since/--until take ISO dates or 30d, 12h, 90m.

see README.md, "Test and Decide".`;

const FLAGS = { values: ['since', 'until', 'group-by', 'prices', 'url', 'token'], booleans: ['json'] };

interface Option {
  total_usd: number | null;
  basis: string;
  unavailable?: string[];
}

interface Group {
  key: string | null;
  predictions: number;
  active_seconds: number;
  setup_seconds: number;
  idle_seconds: number;
  peak_concurrency: number;
  utilisation: number | null;
  options: Record<string, Option>;
  cheapest: string;
  break_even_utilisation: Array<{ options: [string, string]; utilisation: number | null; reachable: boolean; cheaper_above: string | null }>;
  recommendation: string;
}

const usd = (x: number | null) => (x === null ? 'n/a' : `$${x >= 1 ? x.toFixed(2) : x.toPrecision(3)}`);
const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)} %`);

export function decideLines(d: { since: string; until: string; group_by: string; groups: Group[]; totals: Record<string, number | null>; recommendation: string }): string[] {
  const lines = [`period ${d.since} → ${d.until}, grouped by ${d.group_by}`];
  for (const g of d.groups) {
    lines.push(
      '',
      `${g.key ?? '(no deployment)'}: ${g.predictions} runs, ${g.active_seconds} active s, setup ${g.setup_seconds} s, idle ${g.idle_seconds} s, peak concurrency ${g.peak_concurrency}, utilisation ${pct(g.utilisation)}`,
    );
    const rows = [['  option', 'cost', 'basis']];
    for (const [name, o] of Object.entries(g.options)) {
      rows.push([`  ${name}${name === g.cheapest ? ' *' : ''}`, usd(o.total_usd), o.unavailable?.join('; ') ?? o.basis]);
    }
    lines.push(...columns(rows));
    for (const b of g.break_even_utilisation.filter((x) => x.utilisation !== null && x.reachable)) {
      lines.push(`  break-even ${b.options.join(' / ')}: ${pct(b.utilisation)} (above it ${b.cheaper_above} is cheaper)`);
    }
    lines.push(`  → ${g.recommendation}`);
  }
  lines.push('', `totals: ${Object.entries(d.totals).map(([k, v]) => `${k} ${usd(v)}`).join(', ')}`, d.recommendation);
  return lines;
}

async function runDecide(parsed: Parsed): Promise<number> {
  if (parsed.words.length) throw new UsageError(`decide takes no words (got "${parsed.words.join(' ')}")`);
  const query: Record<string, string> = {};
  for (const [flag, field] of [['since', 'since'], ['until', 'until'], ['group-by', 'group_by']] as const) {
    const value = parsed.flags.get(flag);
    if (typeof value === 'string') query[field] = value;
  }
  const prices = jsonFlag(parsed, 'prices');
  const res = prices === undefined
    ? await callEngine(parsed, 'GET', `/v1/decide?${new URLSearchParams(query)}`)
    : await callEngine(parsed, 'POST', '/v1/decide', { ...query, prices });
  if (parsed.flags.has('json')) console.log(JSON.stringify(res.json, null, 2));
  else for (const line of decideLines(res.json as never)) console.log(line);
  return 0;
}

/** Runs `gantry decide <args>`; resolves to the exit status. */
export const decideCommand = clientCommand(DECIDE_USAGE, FLAGS, runDecide);
