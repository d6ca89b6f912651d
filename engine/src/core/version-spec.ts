/**
 * What a version is made of, validated: runner, hardware need, concurrency, pricing, weights.
 * The version id is the sha256 of the canonical spec plus its schema, so equal specs are one version.
 */
import { z } from 'zod';
import type { FieldError } from './errors';
import { findSku } from './hardware';
import { PRICING_RULES } from './pricing';
import { canonicalJson, sha256 } from './ids';

export const runnerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('node'), module: z.string().min(1) }).strict(),
  z
    .object({
      type: z.literal('cog'),
      url: z.string().url().optional(),
      command: z.string().min(1).optional(),
      image: z.string().optional(),
      // async (default): respond-async PUTs with webhooks; sync: each PUT waits for its result.
      mode: z.enum(['async', 'sync']).optional(),
      // The host a containerised Cog server reaches the worker at, for webhooks.
      webhook_host: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('openai'),
      url: z.string().url().optional(),
      command: z.string().min(1).optional(),
      model: z.string().min(1),
      api_key: z.string().optional(),
    })
    .strict(),
]);

const pricingRule = z.union([
  z.object({ rule: z.literal('hardware_time') }).strict(),
  z.object({ rule: z.enum(PRICING_RULES.filter((r) => r !== 'hardware_time') as [string, ...string[]]), unit_price_usd: z.number().nonnegative() }).strict(),
]);

export const versionSpecSchema = z
  .object({
    runner: runnerSchema,
    hardware: z.string().optional(),
    gpu_count: z.number().int().min(1).max(8).optional(),
    gpu_memory_gb: z.number().positive().optional(),
    max_concurrency: z.number().int().min(1).max(1024).default(1),
    pricing: z.array(pricingRule).default([]),
    weights: z.string().optional(),
    openapi_schema: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type VersionSpec = z.infer<typeof versionSpecSchema>;

export function zodFieldErrors(err: z.ZodError, prefix = ''): FieldError[] {
  return err.issues.map((i) => ({ pointer: `${prefix}/${i.path.join('/')}`, detail: i.message }));
}

/** Parses a spec; returns field errors instead of throwing. Unknown hardware SKUs are errors. */
export function parseVersionSpec(body: unknown): { spec?: VersionSpec; errors: FieldError[] } {
  const result = versionSpecSchema.safeParse(body);
  if (!result.success) return { errors: zodFieldErrors(result.error) };
  const spec = result.data;
  if (spec.hardware && !findSku(spec.hardware)) {
    return { errors: [{ pointer: '/hardware', detail: `unknown hardware SKU "${spec.hardware}"; see GET /v1/hardware` }] };
  }
  if (spec.runner.type === 'cog' && !spec.runner.url && !spec.runner.command) {
    return { errors: [{ pointer: '/runner/command', detail: 'a cog runner needs a command (a template that starts a Cog server on {port}) or a url (a running Cog server)' }] };
  }
  if (spec.runner.type === 'cog' && spec.runner.url && spec.runner.command) {
    return { errors: [{ pointer: '/runner/command', detail: 'give a url or a command, not both' }] };
  }
  if (spec.runner.type === 'cog' && spec.runner.url && !/^https?:\/\//i.test(spec.runner.url)) {
    return { errors: [{ pointer: '/runner/url', detail: 'must be an http(s) URL' }] };
  }
  if (spec.runner.type === 'openai' && !spec.runner.url && !spec.runner.command) {
    return { errors: [{ pointer: '/runner/url', detail: 'an openai runner needs a url (a running server) or a command (one to start)' }] };
  }
  if (spec.runner.type === 'openai' && spec.runner.url && spec.runner.command) {
    return { errors: [{ pointer: '/runner/command', detail: 'give a url or a command, not both' }] };
  }
  return { spec, errors: [] };
}

export function versionId(owner: string, name: string, spec: VersionSpec, openapi: unknown): string {
  const { openapi_schema: _ignored, ...rest } = spec;
  return sha256(canonicalJson({ model: `${owner}/${name}`, ...rest, openapi_schema: openapi }));
}
