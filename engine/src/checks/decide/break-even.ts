/**
 * Break-even utilisation between two options. Utilisation u is the active seconds over what a
 * dedicated fleet sized for the peak could run (period × instances). Each option's cost is taken
 * as linear in u through its measured point: cost(u) = fixed + variable × u / u₀, so
 * u* = u₀ × (fixed_b − fixed_a) / (variable_a − variable_b). For Replicate's public price against
 * a rented GPU this is the rental $/h ÷ Replicate's $/h. Pure.
 */
import { roundRatio } from '../stats';
import type { OptionCost, OptionKey } from './options';

export interface BreakEven {
  options: [OptionKey, OptionKey];
  /** The utilisation where both cost the same; null when they never do (they scale alike). */
  utilisation: number | null;
  /** Whether it lies between 0 and 100 %. */
  reachable: boolean;
  /** The option that is cheaper above the break-even (the one whose cost grows slower). */
  cheaper_above: OptionKey | null;
  /** The option that is cheaper now. */
  cheaper_now: OptionKey;
}

export function breakEvens(options: Partial<Record<OptionKey, OptionCost>>, u0: number | null): BreakEven[] {
  if (!u0 || u0 <= 0) return [];
  const keys = (Object.keys(options) as OptionKey[]).filter((k) => options[k]?.total_usd !== null && options[k]?.total_usd !== undefined);
  const out: BreakEven[] = [];
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      const a = options[keys[i]]!;
      const b = options[keys[j]]!;
      const fixedA = a.total_usd! - a.variable_usd!;
      const fixedB = b.total_usd! - b.variable_usd!;
      const slope = a.variable_usd! - b.variable_usd!;
      const cheaperNow = a.total_usd! <= b.total_usd! ? keys[i] : keys[j];
      if (Math.abs(slope) < 1e-12) {
        out.push({ options: [keys[i], keys[j]], utilisation: null, reachable: false, cheaper_above: null, cheaper_now: cheaperNow });
        continue;
      }
      const u = (u0 * (fixedB - fixedA)) / slope;
      out.push({
        options: [keys[i], keys[j]],
        utilisation: roundRatio(u),
        reachable: u >= 0 && u <= 1,
        cheaper_above: slope > 0 ? keys[j] : keys[i],
        cheaper_now: cheaperNow,
      });
    }
  }
  return out;
}
