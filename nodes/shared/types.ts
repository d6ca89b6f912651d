import type { IDataObject } from 'n8n-workflow';

export const TERMINAL_STATUSES = ['succeeded', 'failed', 'canceled', 'aborted'];

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

/** A prediction or training object as the Replicate-compatible API returns it. */
export interface Prediction extends IDataObject {
	id: string;
	status: PredictionStatus;
	model?: string;
	version?: string;
	input?: IDataObject;
	output?: IDataObject[string];
	error?: string | null;
	logs?: string | null;
	metrics?: IDataObject;
	cost?: IDataObject | null;
	urls?: { get?: string; cancel?: string; web?: string; stream?: string };
}

/** What a node can wait on: predictions, trainings, and (Gantry only) model checks. */
export type JobKind = 'prediction' | 'training' | 'check';

export interface OpenApiSchema {
	type?: string;
	format?: string;
	title?: string;
	description?: string;
	default?: unknown;
	enum?: unknown[];
	items?: OpenApiSchema;
	properties?: Record<string, OpenApiSchema>;
	required?: string[];
	allOf?: OpenApiSchema[];
	anyOf?: OpenApiSchema[];
	$ref?: string;
	minimum?: number;
	exclusiveMinimum?: number | boolean;
	exclusiveMaximum?: number | boolean;
	maximum?: number;
	'x-order'?: number;
}

export interface VersionObject extends IDataObject {
	id: string;
	openapi_schema?: { components?: { schemas?: Record<string, OpenApiSchema> } } | null;
}

export function isTerminal(status: string | undefined): boolean {
	return status !== undefined && TERMINAL_STATUSES.includes(status);
}

export function jobPath(kind: JobKind): string {
	return kind === 'training' ? '/trainings' : kind === 'check' ? '/checks' : '/predictions';
}
