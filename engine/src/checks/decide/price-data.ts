/**
 * Price tables the cost decision ships with, as dated data with their sources (prices move: the
 * operator overrides any of them with GANTRY_PRICES, a request with its body). Replicate's
 * per-second hardware prices are the engine's own table (core/hardware.ts); these are the rest.
 */

export interface DedicatedProvider {
  id: string;
  name: string;
  source: string;
  retrieved: string;
  /** On-demand $ per GPU-hour by GPU type (the base SKU of a multi-GPU offer). */
  per_gpu_hour: Record<string, number>;
  note?: string;
}

/** Example on-demand prices of renting GPUs, as published on the providers' pages. */
export const DEDICATED_PROVIDERS: readonly DedicatedProvider[] = [
  { id: 'runpod-community', name: 'RunPod (community cloud)', source: 'https://www.runpod.io/pricing', retrieved: '2026-09-25', per_gpu_hour: { 'gpu-l40s': 0.79, 'gpu-a100-large': 1.39, 'gpu-h100': 2.69 } },
  { id: 'runpod-secure', name: 'RunPod (secure cloud)', source: 'https://www.runpod.io/pricing', retrieved: '2026-09-25', per_gpu_hour: { 'gpu-l40s': 1.09, 'gpu-a100-large': 1.59, 'gpu-h100': 3.49 } },
  { id: 'lambda', name: 'Lambda', source: 'https://lambda.ai/instances', retrieved: '2026-09-20', per_gpu_hour: { 'gpu-a100-large': 2.79, 'gpu-h100': 4.29 }, note: 'A100 80GB only in 8-GPU instances' },
  { id: 'vast-ai', name: 'Vast.ai (median verified)', source: 'https://vast.ai', retrieved: '2026-10-01', per_gpu_hour: { 'gpu-a100-large': 1.7, 'gpu-h100': 2.4 } },
  { id: 'modal', name: 'Modal (billed per second)', source: 'https://modal.com/pricing', retrieved: '2026-05-01', per_gpu_hour: { 'gpu-l40s': 1.95, 'gpu-a100-large': 2.5, 'gpu-h100': 3.95 } },
  { id: 'aws', name: 'AWS on-demand (p4de, p5)', source: 'https://aws.amazon.com/ec2/pricing/on-demand/', retrieved: '2026-11-09', per_gpu_hour: { 'gpu-a100-large': 3.43, 'gpu-h100': 6.88 } },
];

export interface OfficialModelPrice {
  /** The pricing rule (as a version's pricing names it) and its price per unit. */
  rule: 'per_image' | 'per_input_token' | 'per_output_token' | 'per_prediction' | 'per_audio_second' | 'per_video_second';
  unit_price_usd: number;
}

/** Official Replicate models bill per unit instead of per second (examples from Replicate's billing docs). */
export const OFFICIAL_MODEL_PRICES: Readonly<Record<string, OfficialModelPrice[]>> = {
  'black-forest-labs/flux-schnell': [{ rule: 'per_image', unit_price_usd: 0.003 }],
  'meta/meta-llama-3.1-405b-instruct': [
    { rule: 'per_input_token', unit_price_usd: 0.0000095 },
    { rule: 'per_output_token', unit_price_usd: 0.0000095 },
  ],
};
export const OFFICIAL_MODEL_PRICES_SOURCE = { url: 'https://replicate.com/docs/billing', retrieved: '2026-12-01' } as const;
