/** Signing conformance: what Gantry signs, the official `replicate` client's validateWebhook accepts. */
import { validateWebhook } from 'replicate';
import { webcrypto } from 'node:crypto';
import {
  generateWebhookSecret,
  secretKey,
  signPayload,
  verifyWebhook,
  webhookHeaders,
} from '../../../engine/src/webhooks/sign';

const body = JSON.stringify({ id: 'p1', status: 'succeeded', output: ['https://example.com/out.png'], logs: 'héllo ✓' });

describe('webhook signing', () => {
  test('secrets are whsec_ + base64 of 32 random bytes', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(secretKey(a)).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  test('signature is v1,<base64 HMAC-SHA256 of id.timestamp.body> (known vector)', () => {
    // Standard Webhooks' published test vector.
    const sig = signPayload({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  test.each([
    ['a generated secret', generateWebhookSecret()],
    ["Replicate's documented test key", 'whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH'],
  ])('the official client validates our headers (%s)', async (_label, secret) => {
    const headers = webhookHeaders({ id: 'msg_abc', body, secret });
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    // Object form.
    await expect(
      validateWebhook({
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        body,
        secret,
      }),
    ).resolves.toBe(true);
    // Request form, as a receiving server would call it.
    const request = new Request('http://receiver.test/hook', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    await expect(validateWebhook(request, secret, webcrypto as unknown as Crypto)).resolves.toBe(true);
    // And a tampered body fails with the official client too.
    await expect(
      validateWebhook({
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        body: body.replace('succeeded', 'failed'),
        secret,
      }),
    ).resolves.toBe(false);
    expect(verifyWebhook({ id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body, secret })).toEqual({ valid: true });
  });

  describe('verifyWebhook', () => {
    const secret = generateWebhookSecret();
    const now = 1_700_000_000;
    const headers = webhookHeaders({ id: 'msg_1', body, secret, timestamp: now });
    const base = { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body, secret, now };

    test('accepts a valid signature, also among several (rotation)', () => {
      expect(verifyWebhook(base)).toEqual({ valid: true });
      const other = signPayload({ id: 'msg_1', timestamp: now, body, secret: generateWebhookSecret() });
      expect(verifyWebhook({ ...base, signature: `${other} ${headers['webhook-signature']}` }).valid).toBe(true);
      expect(verifyWebhook({ ...base, signature: `v2,abc ${headers['webhook-signature']}` }).valid).toBe(true);
    });

    test.each([
      ['body changed', { body: body + ' ' }],
      ['id changed', { id: 'msg_2' }],
      ['timestamp changed', { timestamp: String(now + 1) }],
      ['wrong secret', { secret: generateWebhookSecret() }],
      ['only other signatures', { signature: 'v1,AAAA v1,' }],
      ['missing signature', { signature: '' }],
      ['non-numeric timestamp', { timestamp: 'yesterday' }],
      ['too old', { now: now + 301 }],
      ['too far in the future', { now: now - 301 }],
    ])('rejects: %s', (_label, change) => {
      const r = verifyWebhook({ ...base, ...change });
      expect(r.valid).toBe(false);
    });

    test('tolerance is configurable and can be disabled', () => {
      expect(verifyWebhook({ ...base, now: now + 301, toleranceSeconds: 600 }).valid).toBe(true);
      expect(verifyWebhook({ ...base, now: now + 10 ** 7, toleranceSeconds: Infinity }).valid).toBe(true);
    });
  });
});
