/** A version's pricing rules in words, with what a typical run costs (the Pricing tab). Pure. */
import type { PricingRule } from '../api/types';
import { usd } from './format';

const UNIT: Record<string, [string, string]> = {
  per_prediction: ['prediction', 'predictions'],
  per_image: ['output image', 'output images'],
  per_input_token: ['input token', 'input tokens'],
  per_output_token: ['output token', 'output tokens'],
  per_audio_second: ['second of output audio', 'seconds of output audio'],
  per_video_second: ['second of output video', 'seconds of output video'],
};

/** Example quantities for "what does a run cost" lines. */
const EXAMPLE: Record<string, number> = { per_image: 1, per_prediction: 1, per_input_token: 1000, per_output_token: 1000, per_audio_second: 60, per_video_second: 10 };

export interface RuleText {
  rule: string;
  price: string;
  example: string;
}

/** The rules that apply: a version without rules is billed by hardware time. */
export function effectiveRules(rules: PricingRule[] | undefined): PricingRule[] {
  return rules && rules.length ? rules : [{ rule: 'hardware_time' }];
}

export function describeRule(r: PricingRule, hardware: string, pricePerSecond: number | undefined): RuleText {
  if (r.rule === 'hardware_time') {
    const p = pricePerSecond;
    return {
      rule: 'Hardware time',
      price: p === undefined ? `the price of ${hardware} per second` : `${usd(p)} per second of ${hardware} (${usd(p * 3600)} an hour)`,
      example: p === undefined ? '' : `a 2-second prediction costs ${usd(p * 2)}; 1,000 of them ${usd(p * 2000)}`,
    };
  }
  const [one, many] = UNIT[r.rule] ?? [r.rule, r.rule];
  const unit = r.unit_price_usd ?? 0;
  const n = EXAMPLE[r.rule] ?? 1;
  return {
    rule: `Per ${one}`,
    price: `${usd(unit)} per ${one}${unit > 0 && unit < 0.001 ? ` (${usd(unit * 1_000_000)} per million)` : ''}`,
    example: `${n.toLocaleString('en')} ${n === 1 ? one : many} cost ${usd(unit * n)}`,
  };
}
