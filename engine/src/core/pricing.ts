/**
 * Turns a finished prediction's metrics into a cost. A version declares its pricing rules; the
 * default is hardware time. Per-unit rules read billing quantities the predictor reported.
 */
import type { PriceTable } from './hardware';

export type PricingRule =
  | { rule: 'hardware_time' }
  | { rule: 'per_prediction'; unit_price_usd: number }
  | { rule: 'per_image'; unit_price_usd: number }
  | { rule: 'per_input_token'; unit_price_usd: number }
  | { rule: 'per_output_token'; unit_price_usd: number }
  | { rule: 'per_audio_second'; unit_price_usd: number }
  | { rule: 'per_video_second'; unit_price_usd: number };

export const PRICING_RULES = [
  'hardware_time',
  'per_prediction',
  'per_image',
  'per_input_token',
  'per_output_token',
  'per_audio_second',
  'per_video_second',
] as const;

/** The unit each pricing rule counts (GET /v1/usage and check reports name quantities by it). */
export const UNIT_OF_RULE: Readonly<Record<string, string>> = {
  hardware_time: 'seconds',
  per_prediction: 'predictions',
  per_image: 'images',
  per_input_token: 'input_tokens',
  per_output_token: 'output_tokens',
  per_audio_second: 'audio_seconds',
  per_video_second: 'video_seconds',
};

/** Which metric each per-unit rule counts. */
const QUANTITY_OF: Record<string, string> = {
  per_image: 'image_count',
  per_input_token: 'input_token_count',
  per_output_token: 'output_token_count',
  per_audio_second: 'audio_output_seconds',
  per_video_second: 'video_output_seconds',
};

export interface CostLine {
  rule: string;
  quantity: number;
  unit_price_usd: number;
  total_usd: number;
}

export interface Cost extends CostLine {
  hardware: string;
  /** Present when more than one rule applied; the top-level fields then describe the first line. */
  items?: CostLine[];
}

const round = (usd: number) => Math.round(usd * 1e9) / 1e9;

export function priceOf(hardware: string, prices: PriceTable): number {
  return prices[hardware] ?? prices.cpu ?? 0;
}

/**
 * The rules that price one run of a version. A version's pricing rules price its predictions;
 * trainings are billed by hardware time whatever the version's rules, as on Replicate: a price
 * per token or per image says nothing about what a training costs, and trainings report no such
 * quantities (they would all cost 0).
 */
export function rulesFor(kind: 'prediction' | 'training', versionRules: PricingRule[]): PricingRule[] {
  return kind === 'training' ? [{ rule: 'hardware_time' }] : versionRules;
}

/** The cost of one prediction or training from its metrics. */
export function computeCost(
  rules: PricingRule[],
  metrics: Record<string, unknown>,
  hardware: string,
  prices: PriceTable,
): Cost {
  const effective = rules.length > 0 ? rules : [{ rule: 'hardware_time' } as PricingRule];
  const lines: CostLine[] = effective.map((r) => {
    if (r.rule === 'hardware_time') {
      const seconds = Number(metrics.predict_time ?? 0);
      const unit = priceOf(hardware, prices);
      return { rule: r.rule, quantity: seconds, unit_price_usd: unit, total_usd: round(seconds * unit) };
    }
    const quantity = r.rule === 'per_prediction' ? 1 : Number(metrics[QUANTITY_OF[r.rule]] ?? 0);
    return { rule: r.rule, quantity, unit_price_usd: r.unit_price_usd, total_usd: round(quantity * r.unit_price_usd) };
  });
  const total = round(lines.reduce((sum, l) => sum + l.total_usd, 0));
  return { ...lines[0], total_usd: total, hardware, ...(lines.length > 1 ? { items: lines } : {}) };
}

/** Cost of instance time (setup or idle seconds) charged to a deployment. */
export function instanceTimeCost(seconds: number, hardware: string, prices: PriceTable): CostLine {
  const unit = priceOf(hardware, prices);
  return { rule: 'hardware_time', quantity: seconds, unit_price_usd: unit, total_usd: round(seconds * unit) };
}

/** The cost of something that did not run (canceled or aborted while queued, lost with its worker). */
export function noCost(hardware: string): Cost {
  return { rule: 'hardware_time', quantity: 0, unit_price_usd: 0, total_usd: 0, hardware };
}
