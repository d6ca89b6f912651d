/**
 * Webhook signing: the Standard Webhooks scheme that Replicate uses.
 *
 * - The account secret is `whsec_<base64 of 32 random bytes>`; the HMAC key is the base64-decoded
 *   part after the prefix (clients split on `_` and decode the second part).
 * - The signed content is `"{webhook-id}.{webhook-timestamp}.{raw body}"`; the signature is
 *   `v1,<base64 HMAC-SHA256>`. The `webhook-signature` header is a space-separated list of such
 *   signatures (several appear while a secret is being rotated).
 * - `webhook-id` stays the same on every retry of one delivery; `webhook-timestamp` (Unix seconds)
 *   is the time of the attempt, so a receiver's replay tolerance does not reject a late retry.
 *
 * Pure functions over node:crypto; the n8n trigger node can mirror `verifyWebhook` line by line.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** Default replay window for `verifyWebhook`, as Standard Webhooks recommends (5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A fresh account secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * The HMAC key of a secret. Accepts `whsec_<base64>` (the form Gantry and Replicate hand out) or a
 * bare base64 string. Throws on an empty key.
 */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('webhook secret is empty or not base64');
  return key;
}

export interface SignInput {
  /** The delivery id (`webhook-id`), the same on every retry. */
  id: string;
  /** Unix seconds of this attempt (`webhook-timestamp`). */
  timestamp: number | string;
  /** The exact bytes sent as the request body. */
  body: string;
  secret: string;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signPayload({ id, timestamp, body, secret }: SignInput): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three signing headers for one attempt. `timestamp` defaults to now (Unix seconds). */
export function webhookHeaders(input: Omit<SignInput, 'timestamp'> & { timestamp?: number }): WebhookHeaders {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signPayload({ ...input, timestamp }),
  };
}

export interface VerifyInput {
  id: string | null | undefined;
  timestamp: string | null | undefined;
  /** The `webhook-signature` header: one or more space-separated `v1,<base64>` entries. */
  signature: string | null | undefined;
  body: string;
  secret: string;
  /** Seconds a timestamp may differ from `now`; `Infinity` disables the check. Default 300. */
  toleranceSeconds?: number;
  /** Unix seconds; default the current time. */
  now?: number;
}

export type VerifyResult = { valid: true } | { valid: false; reason: string };

/**
 * Checks a received webhook. Valid when any `v1` signature in the header matches (constant-time
 * comparison) and the timestamp lies within the tolerance. Never throws on malformed input.
 */
export function verifyWebhook(input: VerifyInput): VerifyResult {
  const { id, timestamp, signature, body, secret } = input;
  if (!id || !timestamp || !signature) return { valid: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature header' };
  if (!/^\d+$/.test(timestamp)) return { valid: false, reason: 'webhook-timestamp is not a Unix timestamp in seconds' };
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = input.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > tolerance) return { valid: false, reason: 'webhook-timestamp is outside the tolerance window' };
  let expected: Buffer;
  try {
    expected = Buffer.from(signPayload({ id, timestamp, body, secret }).slice(3), 'base64');
  } catch (err) {
    return { valid: false, reason: (err as Error).message };
  }
  for (const entry of signature.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { valid: true };
  }
  return { valid: false, reason: 'no matching v1 signature' };
}
