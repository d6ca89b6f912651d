import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { ApiHttpError } from './transport';

/** Friendly messages for the HTTP statuses the API returns (problem+json bodies carry the detail). */
const STATUS_MESSAGES: Record<string, string> = {
	'400': 'The API rejected the request',
	'401': 'Authentication failed: check the API token in the Gantry API credential',
	'403': 'The API token is not allowed to do this',
	'404': 'Not found',
	'409': 'Conflict',
	'413': 'The file is too large for the API',
	'422': 'Invalid input or version not permitted',
	'429': 'Rate limited by the API: try again later or add retries',
	'500': 'The API failed with an internal error',
	'502': 'The API is unreachable (bad gateway)',
	'503': 'The API is unavailable',
};

interface ProblemDetails {
	title?: string;
	detail?: string;
	errors?: Array<{ pointer?: string; detail?: string }>;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
	if (value instanceof ArrayBuffer) value = Buffer.from(value);
	if (Buffer.isBuffer(value)) value = value.toString('utf8');
	if (value && typeof value === 'object') return value as Record<string, unknown>;
	if (typeof value === 'string') {
		try {
			const parsed = JSON.parse(value);
			return parsed && typeof parsed === 'object' ? parsed : undefined;
		} catch {
			return undefined;
		}
	}
	return undefined;
}

/** Digs the HTTP status and problem+json body out of whatever the request helper threw. */
export function inspectHttpError(error: unknown): { status?: string; problem?: ProblemDetails; code?: string } {
	if (error instanceof ApiHttpError) {
		return { status: String(error.status), problem: asObject(error.body) as ProblemDetails | undefined };
	}
	const e = error as Record<string, unknown> & { cause?: Record<string, unknown> };
	const cause = (e?.cause ?? {}) as Record<string, unknown>;
	const response = (cause.response ?? e?.response ?? {}) as Record<string, unknown>;
	const status =
		(e?.httpCode as string | undefined) ??
		(response.status !== undefined ? String(response.status) : undefined) ??
		(response.statusCode !== undefined ? String(response.statusCode) : undefined);
	const body = asObject(response.data) ?? asObject(response.body) ?? asObject(cause.error) ?? asObject(e?.error);
	const code = (cause.code ?? e?.code) as string | undefined;
	return { status: status ? String(status) : undefined, problem: body as ProblemDetails | undefined, code };
}

export function isRetryable(error: unknown): boolean {
	const { status, code } = inspectHttpError(error);
	const httpStatus = Number(status);
	if (httpStatus === 429 || httpStatus >= 500) return true;
	return code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'ECONNREFUSED';
}

/** The one place where errors become node errors with a clear message. */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) {
		if (itemIndex !== undefined && error.context) error.context.itemIndex ??= itemIndex;
		return error;
	}
	const { status, problem, code } = inspectHttpError(error);
	if (status === undefined && (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')) {
		return new NodeApiError(node, (error ?? {}) as JsonObject, {
			message: 'Cannot reach the API: check the base URL in the Gantry API credential',
			description: String((error as Error)?.message ?? code),
			itemIndex,
		});
	}
	if (status === undefined) {
		return new NodeOperationError(node, error as Error, { itemIndex });
	}
	const base = STATUS_MESSAGES[status] ?? `The API answered with HTTP ${status}`;
	const detail = problem?.detail ?? problem?.title;
	const fieldErrors = (problem?.errors ?? [])
		.map((item) => `${item.pointer ?? ''} ${item.detail ?? ''}`.trim())
		.filter((line) => line && !(detail ?? '').includes(line.replace(/^(\S+) /, '$1: ')));
	const message = detail ? `${base}: ${detail.split('\n')[0]}` : base;
	const description = [detail, ...fieldErrors].filter(Boolean).join('\n') || undefined;
	return new NodeApiError(node, (problem ?? { message }) as JsonObject, {
		message,
		description,
		httpCode: status,
		itemIndex,
	});
}
