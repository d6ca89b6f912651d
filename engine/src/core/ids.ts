import { createHash, randomBytes, randomInt } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A Replicate-style id: 26 characters of [0-9a-z]. */
export function newId(): string {
  let id = '';
  for (let i = 0; i < 26; i++) id += ALPHABET[randomInt(36)];
  return id;
}

/** A bearer token, shown once; only its hash is stored. */
export function newToken(): string {
  return `gnt_${randomBytes(24).toString('base64url')}`;
}

/** An unguessable capability (stream URLs carry one because the official client sends no auth there). */
export function newCapability(): string {
  return randomBytes(18).toString('base64url');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Stable JSON (sorted keys) so that equal specs hash to equal version ids. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
