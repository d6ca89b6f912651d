import type { IDataObject } from 'n8n-workflow';

import { parseModelRef } from './refs';
import { apiRequest, unlessNotFound, type ApiContext } from './transport';
import type { VersionObject } from './types';

/**
 * Gantry only: the engine's copy of the public model catalogue (Replicate's public models).
 * Search it, read an entry's schema before importing, import a model (`POST /v1/models/import`).
 */

export interface CatalogueEntry {
	owner: string;
	name: string;
	url?: string;
	description?: string | null;
	run_count?: number;
	/** Whether a model of this name already exists on the engine. */
	imported: boolean;
}

export async function searchCatalogue(this: ApiContext, query: string, limit = 20): Promise<CatalogueEntry[]> {
	const page = await apiRequest.call(this, 'GET', '/catalogue', { qs: { query, limit } });
	return ((page.results as unknown as CatalogueEntry[]) ?? []).filter((entry) => entry.owner && entry.name);
}

/** The catalogue's latest version of a model (with its input schema), or undefined when not there. */
export async function catalogueVersion(this: ApiContext, owner: string, name: string): Promise<VersionObject | undefined> {
	const entry = await unlessNotFound(apiRequest.call(this, 'GET', `/catalogue/${owner}/${name}`));
	return (entry?.latest_version as VersionObject | null | undefined) ?? undefined;
}

export interface ImportOptions {
	hardware?: string;
	command?: string;
}

/** Imports `owner/name`; `created` is false when the engine already had it (the API answers 200). */
export async function importModel(
	this: ApiContext,
	ref: string,
	options: ImportOptions = {},
): Promise<{ created: boolean; model: IDataObject }> {
	const { owner, name } = parseModelRef(ref);
	const body: IDataObject = { model: `${owner}/${name}` };
	if (options.hardware) body.hardware = options.hardware;
	if (options.command) body.command = options.command;
	const response = (await apiRequest.call(this, 'POST', '/models/import', { body, returnFullResponse: true })) as unknown as {
		statusCode: number;
		body: IDataObject;
	};
	return { created: response.statusCode === 201, model: response.body };
}

/** Imports the model of `ref` unless the engine has it already. */
export async function ensureImported(this: ApiContext, ref: string): Promise<void> {
	const { owner, name } = parseModelRef(ref);
	const model = await unlessNotFound(apiRequest.call(this, 'GET', `/models/${owner}/${name}`));
	if (!model) await importModel.call(this, ref);
}
