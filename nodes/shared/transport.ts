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
	options.returnFullResponse = true;
	options.ignoreHttpStatusErrors = true;
	const response = (await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_NAME, options)) as {
		body: unknown;
		headers: IDataObject;
		statusCode: number;
	};
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
