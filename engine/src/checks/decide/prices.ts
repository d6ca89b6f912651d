/**
 * The prices a decision uses: the shipped tables (price-data.ts, and Replicate's per-second prices
 * in core/hardware.ts), overridden by GANTRY_PRICES and then by the request. Pure.
 */
import type { FieldError } from '../../core/errors';
import { defaultPrices, findSku, GPU_BASES, REPLICATE_PRICES_SOURCE } from '../../core/hardware';
import { DEDICATED_PROVIDERS, OFFICIAL_MODEL_PRICES, OFFICIAL_MODEL_PRICES_SOURCE, type DedicatedProvider, type OfficialModelPrice } from './price-data';

/** The sections of GANTRY_PRICES (and of a POST /v1/decide body's `prices`) besides Gantry's own $/s per SKU. */
export const PRICE_SECTIONS = ['replicate', 'official_models', 'dedicated'] as const;
const OFFICIAL_RULES = ['per_image', 'per_input_token', 'per_output_token', 'per_prediction', 'per_audio_second', 'per_video_second'] as const;
/** What a dedicated price may be given for: a GPU type, or `cpu` (no provider lists CPU-only machines here). */
const DEDICATED_KEYS = ['cpu', ...Object.keys(GPU_BASES)];
export const CUSTOM_PROVIDER = 'custom';

export interface PriceOverrides {
  replicate?: Record<string, number>;
  official_models?: Record<string, OfficialModelPrice[]>;
  dedicated?: { provider?: string; per_gpu_hour?: Record<string, number> };
}

export interface ResolvedPrices {
  replicate: { source: string; retrieved: string; per_second: Record<string, number> };
  official_models: { source: string; retrieved: string; models: Record<string, OfficialModelPrice[]> };
  dedicated: { providers: DedicatedProvider[]; chosen: string | null };
  /** What was overridden, and by whom (GANTRY_PRICES, the request). */
  overridden: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isPrice = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function priceMap(value: unknown, pointer: string, known: (k: string) => boolean, what: string, errors: FieldError[]): Record<string, number> {
  if (!isObject(value)) {
    errors.push({ pointer, detail: `must be an object of ${what} to prices` });
    return {};
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!known(k)) errors.push({ pointer: `${pointer}/${k}`, detail: `is not a ${what}` });
    else if (!isPrice(v)) errors.push({ pointer: `${pointer}/${k}`, detail: 'must be a price: a number ≥ 0' });
    else out[k] = v;
  }
  return out;
}

/** Reads the override sections; `pointer` names where they came from (`/prices`, `GANTRY_PRICES`). */
export function parsePriceOverrides(value: unknown, pointer: string): { overrides: PriceOverrides; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const overrides: PriceOverrides = {};
  if (value === undefined || value === null) return { overrides, errors };
  if (!isObject(value)) return { overrides, errors: [{ pointer, detail: `must be an object with ${PRICE_SECTIONS.join(', ')}` }] };
  for (const key of Object.keys(value)) {
    if (!(PRICE_SECTIONS as readonly string[]).includes(key)) errors.push({ pointer: `${pointer}/${key}`, detail: `is not a price section (${PRICE_SECTIONS.join(', ')})` });
  }
  if (value.replicate !== undefined) overrides.replicate = priceMap(value.replicate, `${pointer}/replicate`, (k) => !!findSku(k), 'hardware SKU ($ per second)', errors);
  if (value.official_models !== undefined) {
    if (!isObject(value.official_models)) errors.push({ pointer: `${pointer}/official_models`, detail: 'must be an object of owner/name to { rule: price }' });
    else {
      overrides.official_models = {};
      for (const [model, rules] of Object.entries(value.official_models)) {
        const at = `${pointer}/official_models/${model}`;
        if (!/^[^/\s]+\/[^/\s]+$/.test(model)) errors.push({ pointer: at, detail: 'must be owner/name' });
        const prices = priceMap(rules, at, (k) => (OFFICIAL_RULES as readonly string[]).includes(k), `pricing rule (${OFFICIAL_RULES.join(', ')})`, errors);
        overrides.official_models[model] = Object.entries(prices).map(([rule, unit]) => ({ rule: rule as OfficialModelPrice['rule'], unit_price_usd: unit }));
      }
    }
  }
  if (value.dedicated !== undefined) {
    const d = value.dedicated;
    if (!isObject(d)) errors.push({ pointer: `${pointer}/dedicated`, detail: 'must be { provider?, per_gpu_hour? }' });
    else {
      overrides.dedicated = {};
      for (const key of Object.keys(d)) {
        if (key !== 'provider' && key !== 'per_gpu_hour') errors.push({ pointer: `${pointer}/dedicated/${key}`, detail: 'is not a recognised field (provider, per_gpu_hour)' });
      }
      if (d.per_gpu_hour !== undefined) overrides.dedicated.per_gpu_hour = priceMap(d.per_gpu_hour, `${pointer}/dedicated/per_gpu_hour`, (k) => DEDICATED_KEYS.includes(k), `GPU type (${DEDICATED_KEYS.join(', ')})`, errors);
      if (d.provider !== undefined) {
        const ids = [...DEDICATED_PROVIDERS.map((p) => p.id), CUSTOM_PROVIDER];
        if (typeof d.provider !== 'string' || !ids.includes(d.provider)) errors.push({ pointer: `${pointer}/dedicated/provider`, detail: `must be one of ${ids.join(', ')}` });
        else overrides.dedicated.provider = d.provider;
      }
    }
  }
  return { overrides, errors };
}

/** The shipped tables with `layers` applied in order (each `{ by, overrides }`, later wins). */
export function resolvePrices(layers: Array<{ by: string; overrides: PriceOverrides }>): ResolvedPrices {
  const replicate = defaultPrices();
  const official: Record<string, OfficialModelPrice[]> = { ...OFFICIAL_MODEL_PRICES };
  let custom: Record<string, number> | undefined;
  let chosen: string | null = null;
  const overridden: string[] = [];
  for (const { by, overrides } of layers) {
    for (const [sku, price] of Object.entries(overrides.replicate ?? {})) {
      replicate[sku] = price;
      overridden.push(`replicate ${sku} = $${price}/s (${by})`);
    }
    for (const [model, rules] of Object.entries(overrides.official_models ?? {})) {
      official[model] = rules;
      overridden.push(`official model ${model} (${by})`);
    }
    if (overrides.dedicated?.per_gpu_hour && Object.keys(overrides.dedicated.per_gpu_hour).length) {
      custom = { ...(custom ?? {}), ...overrides.dedicated.per_gpu_hour };
      chosen = CUSTOM_PROVIDER;
      overridden.push(`dedicated per GPU-hour ${JSON.stringify(overrides.dedicated.per_gpu_hour)} (${by})`);
    }
    if (overrides.dedicated?.provider) {
      chosen = overrides.dedicated.provider;
      overridden.push(`dedicated provider ${chosen} (${by})`);
    }
  }
  const providers = [...DEDICATED_PROVIDERS.map((p) => ({ ...p, per_gpu_hour: { ...p.per_gpu_hour } }))];
  if (custom) providers.push({ id: CUSTOM_PROVIDER, name: 'your prices (override)', source: 'GANTRY_PRICES or the request', retrieved: 'now', per_gpu_hour: custom });
  return {
    replicate: { source: REPLICATE_PRICES_SOURCE.url, retrieved: REPLICATE_PRICES_SOURCE.retrieved, per_second: replicate },
    official_models: { source: OFFICIAL_MODEL_PRICES_SOURCE.url, retrieved: OFFICIAL_MODEL_PRICES_SOURCE.retrieved, models: official },
    dedicated: { providers, chosen },
    overridden,
  };
}
