/** Accepts `owner/name`, `owner/name:version` or a model URL (https://replicate.com/owner/name). */
export function parseModelRef(raw: string): { owner: string; name: string; version?: string } {
	let value = raw.trim();
	const url = /^https?:\/\/[^/]+\/(?:v1\/)?(?:models\/|deployments\/)?([^/?#]+)\/([^/?#:]+)(?:\/versions\/([0-9a-zA-Z]+))?/.exec(value);
	if (url) return { owner: url[1], name: url[2], version: url[3] };
	let version: string | undefined;
	const colon = value.indexOf(':');
	if (colon >= 0) {
		version = value.slice(colon + 1) || undefined;
		value = value.slice(0, colon);
	}
	const [owner, name, ...rest] = value.split('/');
	if (!owner || !name || rest.length > 0) {
		throw new Error(`"${raw}" is not a model reference: use owner/name, owner/name:version or a model URL`);
	}
	return { owner, name, version };
}

export const MODEL_REF_REGEX = '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(:[0-9a-zA-Z]+)?$';
export const MODEL_URL_REGEX = '^https?://[^/]+/(?:v1/)?(?:models/)?[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+.*$';
