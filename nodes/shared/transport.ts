import { randomString, sleep } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';

export const CREDENTIAL_NAME = 'gantryApi';

export type ApiContext = IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions | IWebhookFunctions;

export interface RequestExtras {
	body?: IDataObject | Buffer | IDataObject[];
	qs?: IDataObject;
	headers?: IDataObject;
	/** Absolute URL (e.g. a `next` page link) used instead of `path`. */
	url?: string;
	returnFullResponse?: boolean;
	json?: boolean;
	/**
	 * Sent as `Idempotency-Key` (one per created object). With it, a create whose answer was lost
	 * (the connection dropped) is sent again with the same key, so the engine answers the first
	 * create instead of running a second one. Against Replicate it is sent but never relied on.
	 */
	idempotencyKey?: string;
}

/** How often a throttled (429) request is tried in all, and the longest wait between tries. */
export const THROTTLE_ATTEMPTS = 4;
export const MAX_RETRY_AFTER_SECONDS = 60;
/** How often a request whose answer was lost is sent in all. */
export const LOST_ANSWER_ATTEMPTS = 3;

/** A fresh key for one create (of one item); reused only when that same request is sent again. */
export function newIdempotencyKey(this: ApiContext): string {
	const execution = (this as IExecuteFunctions).getExecutionId?.() ?? 'n8n';
	return `n8n-${execution}-${randomString(24)}`;
}

/**
 * Seconds a 429 asks to wait: the `Retry-After` header (seconds or an HTTP date), the body's
 * `retry_after` (Gantry), or Replicate's "resets in ~30s" detail. Undefined when none says.
 */
export function retryAfterSeconds(headers: IDataObject | undefined, body: unknown, now = Date.now()): number | undefined {
	const header = headers?.['retry-after'] ?? headers?.['Retry-After'];
	if (typeof header === 'string' || typeof header === 'number') {
		const text = String(header).trim();
		if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
		const at = Date.parse(text);
		if (!Number.isNaN(at)) return Math.max(0, (at - now) / 1000);
	}
	let parsed = body;
	if (typeof parsed === 'string') {
		try {
			parsed = JSON.parse(parsed);
		} catch {
			parsed = { detail: parsed };
		}
	}
	const b = (parsed ?? {}) as IDataObject;
	if (typeof b.retry_after === 'number' && b.retry_after >= 0) return b.retry_after;
	const said = /resets in ~?\s*(\d+(?:\.\d+)?)\s*s/i.exec(String(b.detail ?? ''));
	return said ? Number(said[1]) : undefined;
}

/** A request that may have reached the server but whose answer never came back. */
function isLostAnswer(error: unknown): boolean {
	// n8n's request helpers wrap network errors in a NodeApiError whose httpCode is the error code.
	const e = error as { code?: string; httpCode?: string; message?: string; cause?: { code?: string } };
	const code = e?.code ?? e?.cause?.code ?? e?.httpCode;
	return ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ECONNREFUSED', 'EAI_AGAIN'].includes(code ?? '') || /socket hang up/i.test(e?.message ?? '');
}

function canceled(ctx: ApiContext): boolean {
	return (ctx as IExecuteFunctions).getExecutionCancelSignal?.()?.aborted === true;
}

/** The credential's base URL without a trailing slash or `/v1`. */
export async function getBaseUrl(this: ApiContext): Promise<string> {
	const credentials = await this.getCredentials<{ baseUrl?: string }>(CREDENTIAL_NAME);
	return normalizeBaseUrl(credentials.baseUrl ?? '');
}

export function normalizeBaseUrl(raw: string): string {
	return raw.trim().replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** Replicate rejects unknown body fields, so Gantry-only extensions are left out there. */
export function isReplicate(baseUrl: string): boolean {
	try {
		return /(^|\.)replicate\.com$/.test(new URL(baseUrl).hostname);
	} catch {
		return false;
	}
}

/** A non-2xx answer of the API, with its status and (problem+json) body. */
export class ApiHttpError extends Error {
	constructor(
		readonly status: number,
		readonly body: unknown,
		readonly url: string,
	) {
		super(`HTTP ${status} from ${url}`);
		this.name = 'ApiHttpError';
	}
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiHttpError && error.status === 404;

/** `request`'s answer, or undefined when the API answers 404; other errors pass through. */
export async function unlessNotFound<T>(request: Promise<T>): Promise<T | undefined> {
	return await request.catch((error: unknown) => {
		if (isNotFound(error)) return undefined;
		throw error;
	});
}

/** Make an authenticated request to the Replicate-compatible API; non-2xx throws ApiHttpError. */
export async function apiRequest(
	this: ApiContext,
	method: IHttpRequestMethods,
	path: string,
	extras: RequestExtras = {},
): Promise<IDataObject> {
	const baseUrl = await getBaseUrl.call(this);
	const options: IHttpRequestOptions = {
		method,
		url: extras.url ?? `${baseUrl}/v1${path}`,
		json: extras.json ?? true,
		headers: { Accept: 'application/json', ...(extras.headers ?? {}) },
	};
	if (extras.body !== undefined) options.body = extras.body;
	// Body-less POSTs (cancel) must not go out as a form (n8n's default): the API answers 415.
	else if (method === 'POST' && options.json) options.headers = { ...options.headers, 'Content-Type': 'application/json' };
	if (extras.qs !== undefined) options.qs = extras.qs;
	if (extras.idempotencyKey) options.headers = { ...options.headers, 'Idempotency-Key': extras.idempotencyKey };
	options.returnFullResponse = true;
	options.ignoreHttpStatusErrors = true;
	// Sending again is safe for idempotent methods, and for a create with a key the engine honours.
	const resendable = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].includes(method) || (!!extras.idempotencyKey && !isReplicate(baseUrl));
	type Response = { body: unknown; headers: IDataObject; statusCode: number };
	let response: Response;
	for (let throttled = 1, lost = 1; ; ) {
		const answered = await (this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_NAME, options) as Promise<Response>).catch(
			(error: unknown) => {
				if (!resendable || !isLostAnswer(error) || lost >= LOST_ANSWER_ATTEMPTS || canceled(this)) throw error;
				return undefined;
			},
		);
		if (!answered) {
			await sleep(500 * 2 ** (lost - 1));
			lost++;
			continue;
		}
		response = answered;
		// Throttled (429): nothing was done, so any request may be tried again after the wait asked.
		if (response.statusCode !== 429 || throttled >= THROTTLE_ATTEMPTS || canceled(this)) break;
		const wait = retryAfterSeconds(response.headers, response.body) ?? 2 ** throttled;
		await sleep(Math.min(MAX_RETRY_AFTER_SECONDS, wait) * 1000);
		throttled++;
	}
	if (response.statusCode < 200 || response.statusCode >= 300) {
		throw new ApiHttpError(response.statusCode, response.body, String(options.url));
	}
	if (extras.returnFullResponse) return response as unknown as IDataObject;
	return response.body as IDataObject;
}

/** Follow `next` links (absolute, as Replicate returns them) up to `limit` results. */
export async function apiRequestAllPages(
	this: ApiContext,
	path: string,
	limit = Infinity,
	qs?: IDataObject,
): Promise<IDataObject[]> {
	const results: IDataObject[] = [];
	let page = await apiRequest.call(this, 'GET', path, { qs });
	for (;;) {
		results.push(...((page.results as IDataObject[]) ?? []));
		const next = page.next as string | null | undefined;
		if (!next || results.length >= limit) break;
		page = await apiRequest.call(this, 'GET', '', { url: absoluteNext.call(this, next, await getBaseUrl.call(this)) });
	}
	return results.slice(0, limit === Infinity ? undefined : limit);
}

function absoluteNext(this: ApiContext, next: string, baseUrl: string): string {
	if (/^https?:\/\//.test(next)) return next;
	return `${baseUrl}/v1/${next.replace(/^\/+/, '').replace(/^v1\//, '')}`;
}

export interface DownloadedFile {
	data: Buffer;
	mimeType?: string;
	fileName?: string;
}

/**
 * Download a file output. URLs on the API's own origin get the credential (Gantry may protect
 * them); other hosts (replicate.delivery, CDNs) are fetched without it so the token never leaks.
 */
export async function downloadFile(this: ApiContext, url: string): Promise<DownloadedFile> {
	if (url.startsWith('data:')) return decodeDataUri(url);
	const baseUrl = await getBaseUrl.call(this);
	const options: IHttpRequestOptions = {
		method: 'GET',
		url,
		encoding: 'arraybuffer',
		returnFullResponse: true,
		json: false,
	};
	const sameOrigin = safeOrigin(url) !== undefined && safeOrigin(url) === safeOrigin(baseUrl);
	const response = (
		sameOrigin
			? await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_NAME, options)
			: await this.helpers.httpRequest(options)
	) as { body: ArrayBuffer | Buffer; headers: IDataObject };
	const headers = response.headers ?? {};
	const contentType = String(headers['content-type'] ?? '').split(';')[0].trim() || undefined;
	const disposition = String(headers['content-disposition'] ?? '');
	const named = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
	return {
		data: Buffer.from(response.body as ArrayBuffer),
		mimeType: contentType === 'application/octet-stream' ? undefined : contentType,
		fileName: named ? decodeURIComponent(named[1]) : fileNameFromUrl(url),
	};
}

function safeOrigin(url: string): string | undefined {
	try {
		return new URL(url).origin;
	} catch {
		return undefined;
	}
}

export function fileNameFromUrl(url: string): string | undefined {
	try {
		const last = new URL(url).pathname.split('/').filter(Boolean).pop();
		return last && last.includes('.') ? decodeURIComponent(last) : undefined;
	} catch {
		return undefined;
	}
}

export function decodeDataUri(uri: string): DownloadedFile {
	const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(uri);
	if (!match) return { data: Buffer.from(uri) };
	const isBase64 = /;base64/i.test(match[2]);
	return {
		data: isBase64 ? Buffer.from(match[3], 'base64') : Buffer.from(decodeURIComponent(match[3])),
		mimeType: match[1] || undefined,
	};
}

/** Upload a file through `POST /v1/files` (multipart) and return the file object. */
export async function uploadFile(
	this: ApiContext,
	data: Buffer,
	fileName: string,
	mimeType: string,
): Promise<IDataObject> {
	const boundary = `----gantry${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`;
	const safeName = fileName.replace(/["\r\n]/g, '_');
	const head = (name: string, extra = '') =>
		`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n`;
	const body = Buffer.concat([
		Buffer.from(
			`${head('content', `; filename="${safeName}"`)}Content-Type: ${mimeType}\r\n\r\n`,
		),
		data,
		Buffer.from(`\r\n${head('filename')}\r\n${safeName}\r\n`),
		Buffer.from(`${head('type')}\r\n${mimeType}\r\n--${boundary}--\r\n`),
	]);
	const response = await apiRequest.call(this, 'POST', '/files', {
		body,
		json: false,
		headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
	});
	const raw = response as unknown;
	const text =
		typeof raw === 'string' ? raw : raw instanceof ArrayBuffer || Buffer.isBuffer(raw) ? Buffer.from(raw as ArrayBuffer).toString('utf8') : undefined;
	return (text !== undefined ? JSON.parse(text) : raw) as IDataObject;
}
