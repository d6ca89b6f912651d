import type { IDataObject, ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { parseModelRef } from '../refs';
import { apiRequest, unlessNotFound } from '../transport';
import { withNodeErrors } from './nodeErrors';

function currentModel(this: ILoadOptionsFunctions, parameter = 'model'): string {
	const value = this.getCurrentNodeParameter(parameter, { extractValue: true });
	return typeof value === 'string' ? value : '';
}

/** Versions of the selected model, newest first, after a "Latest" entry. */
async function getVersionsMethod(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const options: INodePropertyOptions[] = [
		{ name: 'Latest', value: '', description: 'Always the newest version (pin one for stable production runs)' },
	];
	const ref = currentModel.call(this);
	if (!ref) return options;
	const { owner, name } = parseModelRef(ref);
	// A catalogue model not imported yet (Gantry) has no versions here: "Latest" is what it will run.
	const page = await unlessNotFound(apiRequest.call(this, 'GET', `/models/${owner}/${name}/versions`));
	for (const version of (page?.results as IDataObject[] | undefined) ?? []) {
		options.push({
			name: `${String(version.id).slice(0, 12)}… (${String(version.created_at ?? '').slice(0, 10)})`,
			value: version.id as string,
		});
	}
	return options;
}

/** `GET /v1/hardware` (a plain array of `{name, sku}`). */
async function getHardwareMethod(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const list = (await apiRequest.call(this, 'GET', '/hardware')) as unknown as IDataObject[];
	return (Array.isArray(list) ? list : []).map((entry) => ({
		name: `${entry.name ?? entry.sku} (${entry.sku})`,
		value: entry.sku as string,
	}));
}

export const getVersions = withNodeErrors(getVersionsMethod);

export const getHardware = withNodeErrors(getHardwareMethod);
