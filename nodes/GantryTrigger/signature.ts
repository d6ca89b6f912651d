import { createHmac, timingSafeEqual } from 'crypto';

/** Standard Webhooks verification (what Replicate and Gantry send). */
export interface SignedRequest {
	id?: string;
	timestamp?: string;
	signature?: string;
	body: string;
	/** `whsec_<base64>`; the HMAC key is the base64-decoded part after the prefix. */
	secret: string;
	toleranceSeconds?: number;
	nowSeconds?: number;
}

export function verifySignature(request: SignedRequest): { valid: boolean; reason?: string } {
	const { id, timestamp, signature, body, secret } = request;
	if (!id || !timestamp || !signature) return { valid: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
	const tolerance = request.toleranceSeconds ?? 300;
	const now = request.nowSeconds ?? Math.floor(Date.now() / 1000);
	const sentAt = Number(timestamp);
	if (!Number.isFinite(sentAt) || Math.abs(now - sentAt) > tolerance) return { valid: false, reason: 'timestamp outside the tolerance' };
	const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
	const key = Buffer.from(encoded, 'base64');
	if (key.length === 0) return { valid: false, reason: 'empty secret' };
	const expected = Buffer.from(createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64'));
	for (const candidate of signature.split(' ')) {
		const [version, value] = candidate.split(',');
		if (version !== 'v1' || !value) continue;
		const given = Buffer.from(value);
		if (given.length === expected.length && timingSafeEqual(given, expected)) return { valid: true };
	}
	return { valid: false, reason: 'signature mismatch' };
}

/** Which Replicate event a delivery is, from the job's status. */
export function eventOf(status: unknown): string[] {
	if (status === 'starting') return ['start'];
	if (status === 'processing') return ['output', 'logs'];
	return ['completed'];
}
