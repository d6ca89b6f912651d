/** One plain sentence per group, and one for the whole period. Pure. */
import type { BreakEven } from './break-even';
import type { OptionCost, OptionKey } from './options';

interface GroupView {
  key: string | null;
  predictions: number;
  utilisation: number | null;
  options: Record<OptionKey, OptionCost>;
  cheapest: OptionKey;
  break_even_utilisation: BreakEven[];
}

const usd = (x: number | null) => (x === null ? 'n/a' : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toPrecision(3)}`);
const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)} %`;

export function label(option: OptionKey, options?: Record<OptionKey, OptionCost>): string {
  if (option === 'gantry') return 'running it here (Gantry)';
  if (option === 'replicate_public') return "Replicate's public pricing";
  if (option === 'replicate_private') return 'a private Replicate deployment';
  const rows = (options?.dedicated.by_hardware as Array<{ provider: string }> | undefined) ?? [];
  const providers = [...new Set(rows.map((r) => r.provider))];
  return `dedicated GPUs${providers.length ? ` (${providers.join(', ')})` : ''}`;
}

export function groupRecommendation(g: GroupView): string {
  const name = g.key ?? 'on-demand runs';
  if (g.predictions === 0) return `${name}: no runs in this period, only instance time (${usd(g.options.gantry.total_usd)} here).`;
  const cheapest = g.options[g.cheapest];
  const head = `${name}: ${label(g.cheapest, g.options)} is the cheapest for this period (${usd(cheapest.total_usd)}) at ${g.utilisation === null ? 'n/a' : pct(g.utilisation)} utilisation`;
  if (g.cheapest === 'dedicated') {
    const below = g.break_even_utilisation.find((b) => b.options.includes('dedicated') && b.options.includes('replicate_public'));
    return below?.utilisation !== null && below?.utilisation !== undefined
      ? `${head}; below ${pct(below.utilisation)} utilisation Replicate's public pricing would be cheaper.`
      : `${head}.`;
  }
  const rent = g.break_even_utilisation.find((b) => b.options.includes('dedicated') && b.options.includes(g.cheapest));
  if (g.options.dedicated.total_usd === null) return `${head}; dedicated GPUs have no price for its hardware here.`;
  if (!rent || rent.utilisation === null || !rent.reachable) return `${head}; renting GPUs would not pay off at any utilisation.`;
  return `${head}; renting GPUs would pay off above ${pct(rent.utilisation)} utilisation.`;
}

export function overallRecommendation(groups: GroupView[], totals: Record<OptionKey, number | null>): string {
  if (groups.length === 0) return 'No usage in this period: nothing to decide yet.';
  const priced = (Object.keys(totals) as OptionKey[]).filter((k) => totals[k] !== null);
  const best = priced.reduce((a, b) => (totals[b]! < totals[a]! ? b : a));
  const here = totals.gantry;
  const others = priced.filter((k) => k !== best).map((k) => `${label(k)} ${usd(totals[k])}`).join(', ');
  const gap = best !== 'gantry' && here !== null && here > 0 ? ` (${usd(here - totals[best]!)} less than here)` : '';
  return `Over ${groups.length} group(s), ${label(best)} is the cheapest for this usage at ${usd(totals[best])}${gap}; ${others}.`;
}
