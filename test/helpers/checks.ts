/**
 * For tests of model checks: start one and wait for its end, read back every prediction a report
 * lists, and recompute figures independently of the engine's code (nearest-rank percentiles, means).
 */
import type { api } from './engine';

type Call = ReturnType<typeof api>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitForCheck(call: Call, id: string, ms = 90_000): Promise<any> {
  const until = Date.now() + ms;
  for (;;) {
    const { json } = await call('GET', `/v1/checks/${id}`);
    if (!['starting', 'processing'].includes(json.status)) return json;
    if (Date.now() > until) throw new Error(`check ${id} did not end in time: ${JSON.stringify(json).slice(0, 2000)}`);
    await sleep(200);
  }
}

/** POST /v1/checks (expects 201) and wait for the check to end. */
export async function runCheck(call: Call, body: Record<string, unknown>, ms?: number): Promise<any> {
  const created = await call('POST', '/v1/checks', body);
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${created.text}`);
  return waitForCheck(call, created.json.id, ms);
}

/** Every prediction the report lists, read through GET /v1/predictions/{id}. */
export async function predictionsOf(call: Call, report: any): Promise<Map<string, any>> {
  const ids = report.runs.map((r: any) => r.prediction_id).filter(Boolean) as string[];
  const out = new Map<string, any>();
  for (const id of ids) {
    const res = await call('GET', `/v1/predictions/${id}`);
    if (res.status !== 200) throw new Error(`prediction ${id}: ${res.status}`);
    out.set(id, res.json);
  }
  return out;
}

export const item = (report: any, key: string) => report.items.find((i: any) => i.key === key);
export const runsOf = (report: any, purpose: string) => report.runs.filter((r: any) => r.purpose === purpose && r.status !== 'skipped' && r.status !== 'pending');

export function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}
export const avg = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
export const ms = (s: number) => Math.round(s * 1000) / 1000;
export const nano = (usd: number) => Math.round(usd * 1e9) / 1e9;
