import type { IDataObject, ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { searchCatalogue } from '../catalogue';
import { apiRequest, getBaseUrl, isReplicate } from '../transport';
import { withNodeErrors } from './nodeErrors';

/** How a catalogue model that the engine does not have yet is labelled in the model list. */
export const NOT_IMPORTED = '(catalogue — not imported)';

const FILTERED_PAGES_PER_CALL = 10;

function matches(filter: string | undefined, ...values: unknown[]): boolean {
	if (!filter) return true;
	const needle = filter.toLowerCase();
	return values.some((value) => typeof value === 'string' && value.toLowerCase().includes(needle));
}

async function page(this: ILoadOptionsFunctions, path: string, token?: string): Promise<IDataObject> {
	return await apiRequest.call(this, 'GET', path, token ? { url: token } : {});
}

/** Models from `GET /v1/models` (one page per call), filtered by name and description. */
async function searchModelsMethod(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const baseUrl = await getBaseUrl.call(this);
	let models: IDataObject[] = [];
	let next: string | undefined;
	if (filter && !paginationToken) {
		// Replicate's (beta) search endpoint; Gantry and older servers fall back to filtering a page.
		try {
			const found = await apiRequest.call(this, 'GET', '/search', { qs: { query: filter, limit: 50 } });
			models = ((found.models as IDataObject[]) ?? []).map((entry) => (entry.model as IDataObject) ?? entry);
		} catch {
			models = [];
		}
	}
	if (models.length === 0) {
		// With a filter, an empty page would look like "no match" in the editor: read on (a few
		// pages at most per call) until something matches.
		next = paginationToken;
		for (let pages = 0; pages < FILTERED_PAGES_PER_CALL; pages++) {
			const result = await page.call(this, '/models', next);
			models = ((result.results as IDataObject[]) ?? []).filter((model) =>
				matches(filter, `${model.owner}/${model.name}`, model.description),
			);
			next = (result.next as string | null) ?? undefined;
			if (models.length > 0 || !next || !filter) break;
		}
	}
	const results: INodeListSearchItems[] = models.map((model) => ({
		name: `${model.owner}/${model.name}`,
		value: `${model.owner}/${model.name}`,
		description: typeof model.description === 'string' ? model.description.slice(0, 200) : undefined,
		url: (model.url as string | undefined) ?? `${baseUrl}/v1/models/${model.owner}/${model.name}`,
	}));
	if (!paginationToken && !isReplicate(baseUrl)) results.push(...(await catalogueItems.call(this, filter, results)));
	return { results, paginationToken: next };
}

/**
 * Gantry only: public catalogue models the engine does not have yet, after the engine's own
 * (first page only). Running one needs the Run Model option "Import From Catalogue" or the
 * "Import From Catalogue" operation. An engine without the catalogue endpoint adds nothing.
 */
async function catalogueItems(
	this: ILoadOptionsFunctions,
	filter: string | undefined,
	listed: INodeListSearchItems[],
): Promise<INodeListSearchItems[]> {
	const seen = new Set(listed.map((item) => String(item.value)));
	try {
		const entries = await searchCatalogue.call(this, filter ?? '', 20);
		return entries
			.filter((entry) => !entry.imported && !seen.has(`${entry.owner}/${entry.name}`))
			.map((entry) => ({
				name: `${entry.owner}/${entry.name} ${NOT_IMPORTED}`,
				value: `${entry.owner}/${entry.name}`,
				description: typeof entry.description === 'string' ? entry.description.slice(0, 200) : undefined,
				url: entry.url,
			}));
	} catch {
		return [];
	}
}

async function searchDeploymentsMethod(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const result = await page.call(this, '/deployments', paginationToken);
	const deployments = ((result.results as IDataObject[]) ?? []).filter((deployment) =>
		matches(filter, `${deployment.owner}/${deployment.name}`),
	);
	return {
		results: deployments.map((deployment) => ({
			name: `${deployment.owner}/${deployment.name}`,
			value: `${deployment.owner}/${deployment.name}`,
		})),
		paginationToken: (result.next as string | null) ?? undefined,
	};
}

export const searchModels = withNodeErrors(searchModelsMethod);

export const searchDeployments = withNodeErrors(searchDeploymentsMethod);
