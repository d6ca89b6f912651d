/**
 * The Decide page's editable price table: what the user typed over the prices a decision used,
 * the `prices` body of `POST /v1/decide` it becomes, and the JSON pointer of each control (the
 * API names a bad price by it, so its error shows beside that price). Typed text that is not a
 * number is sent as typed: the engine is the one that says what a price must be. Pure.
 */
import type { DecideGroup, DecidePrices } from '../api/types';

export interface PriceDraft {
  /** SKU → Replicate's $ per second. */
  replicate: Record<string, string>;
  /** GPU type (or `cpu`) → a dedicated $ per GPU-hour (the "custom" provider). */
  dedicated: Record<string, string>;
  /** A provider id the dedicated option uses, or '' for the cheapest listed per GPU. */
  provider: string;
  /** Official model → pricing rule → $ per unit. */
  official: Record<string, Record<string, string>>;
  /** One more official model priced per unit. */
  added: { model: string; rule: string; price: string };
}

export const OFFICIAL_RULES = ['per_image', 'per_input_token', 'per_output_token', 'per_prediction', 'per_audio_second', 'per_video_second'];

export const emptyPriceDraft = (): PriceDraft => ({ replicate: {}, dedicated: {}, provider: '', official: {}, added: { model: '', rule: 'per_image', price: '' } });

export const replicatePointer = (sku: string) => `/prices/replicate/${sku}`;
export const dedicatedPointer = (gpu: string) => `/prices/dedicated/per_gpu_hour/${gpu}`;
export const PROVIDER_POINTER = '/prices/dedicated/provider';
export const officialPointer = (model: string, rule?: string) => `/prices/official_models/${model}${rule ? `/${rule}` : ''}`;

const typed = (text: string | undefined) => (text ?? '').trim();
const numberOrText = (text: string) => (text !== '' && Number.isFinite(Number(text)) ? Number(text) : text);

/** The GPU type a SKU's dedicated price is listed under: `gpu-h100-2x` → `gpu-h100`. */
export const gpuTypeOf = (sku: string) => (sku === 'cpu' ? 'cpu' : sku.replace(/-\d+x$/, ''));

/** The `prices` body for the draft, or undefined when nothing is overridden. */
export function priceOverrides(draft: PriceDraft, current: DecidePrices): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const replicate = Object.fromEntries(Object.entries(draft.replicate).filter(([, v]) => typed(v) !== '').map(([k, v]) => [k, numberOrText(typed(v))]));
  if (Object.keys(replicate).length) out.replicate = replicate;
  const perGpuHour = Object.fromEntries(Object.entries(draft.dedicated).filter(([, v]) => typed(v) !== '').map(([k, v]) => [k, numberOrText(typed(v))]));
  const dedicated: Record<string, unknown> = {};
  if (Object.keys(perGpuHour).length) dedicated.per_gpu_hour = perGpuHour;
  if (draft.provider) dedicated.provider = draft.provider;
  if (Object.keys(dedicated).length) out.dedicated = dedicated;
  // A model's override replaces all its rules, so the untouched ones are sent at their current price.
  const official: Record<string, Record<string, unknown>> = {};
  for (const [model, rules] of Object.entries(draft.official)) {
    if (!Object.values(rules).some((v) => typed(v) !== '')) continue;
    const now = Object.fromEntries((current.official_models.models[model] ?? []).map((r) => [r.rule, r.unit_price_usd as unknown]));
    for (const [rule, v] of Object.entries(rules)) if (typed(v) !== '') now[rule] = numberOrText(typed(v));
    official[model] = now;
  }
  const added = draft.added;
  if (typed(added.model)) {
    const model = typed(added.model);
    official[model] = { ...(official[model] ?? Object.fromEntries((current.official_models.models[model] ?? []).map((r) => [r.rule, r.unit_price_usd]))), [added.rule]: numberOrText(typed(added.price)) };
  }
  if (Object.keys(official).length) out.official_models = official;
  return Object.keys(out).length ? out : undefined;
}

/** SKUs the decision's groups ran on (shown first in the table), then the others. */
export function skusInUse(groups: DecideGroup[], prices: DecidePrices): { used: string[]; others: string[] } {
  const used = [...new Set(groups.flatMap((g) => g.hardware.map((h) => h.sku)))].sort();
  const others = Object.keys(prices.replicate.per_second).filter((s) => !used.includes(s));
  return { used, others };
}

/** The GPU types a dedicated price can be given for: those a provider lists and those in use. */
export function gpuTypes(used: string[], prices: DecidePrices): string[] {
  const listed = prices.dedicated.providers.flatMap((p) => Object.keys(p.per_gpu_hour));
  return [...new Set([...used.map(gpuTypeOf), ...listed])].sort((a, b) => (a === 'cpu' ? -1 : b === 'cpu' ? 1 : a.localeCompare(b)));
}

/** Every pointer the price form has a control for (errors with these go beside the control). */
export function pricePointers(draft: PriceDraft, prices: DecidePrices, skus: string[], gpus: string[]): string[] {
  const pointers = [...skus.map(replicatePointer), ...gpus.map(dedicatedPointer), PROVIDER_POINTER];
  for (const [model, rules] of Object.entries(prices.official_models.models)) for (const r of rules) pointers.push(officialPointer(model, r.rule));
  if (typed(draft.added.model)) pointers.push(officialPointer(typed(draft.added.model)), officialPointer(typed(draft.added.model), draft.added.rule));
  return pointers;
}
