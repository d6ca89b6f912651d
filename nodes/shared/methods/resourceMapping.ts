import type { ILoadOptionsFunctions, ResourceMapperFields } from 'n8n-workflow';

import { catalogueVersion } from '../catalogue';
import { deploymentTarget, modelTarget, type Target } from '../jobs';
import { parseModelRef } from '../refs';
import { inputProperties, toMapperFields } from '../schema';
import { getBaseUrl, isNotFound, isReplicate } from '../transport';
import { withNodeErrors } from './nodeErrors';

async function fieldsFor(
	this: ILoadOptionsFunctions,
	schemaName: 'Input' | 'TrainingInput',
	modelParameter: string,
	versionParameter: string,
): Promise<ResourceMapperFields> {
	const source = (this.getCurrentNodeParameter('source') as string | undefined) ?? 'model';
	let target;
	if (source === 'deployment') {
		const ref = this.getCurrentNodeParameter('deployment', { extractValue: true }) as string;
		if (!ref) return { fields: [], emptyFieldsNotice: 'Choose a deployment first' };
		target = await deploymentTarget.call(this, ref);
	} else {
		const ref = this.getCurrentNodeParameter(modelParameter, { extractValue: true }) as string;
		if (!ref) return { fields: [], emptyFieldsNotice: 'Choose a model first' };
		const version = (this.getCurrentNodeParameter(versionParameter) as string | undefined) ?? '';
		target = await modelTarget.call(this, ref, version).catch(async (error: unknown) => {
			// Gantry only: a catalogue model not imported yet shows the catalogue's schema (it is
			// imported when the node runs with "Import From Catalogue").
			const catalogue = await notImportedTarget.call(this, ref, error);
			if (!catalogue) throw error;
			return catalogue;
		});
	}
	const properties = inputProperties(target.versionObject, schemaName);
	return {
		fields: toMapperFields(properties),
		emptyFieldsNotice:
			schemaName === 'TrainingInput'
				? 'This version publishes no training input schema: use JSON mode'
				: 'This version publishes no input schema: use JSON mode',
	};
}

async function notImportedTarget(this: ILoadOptionsFunctions, ref: string, error: unknown): Promise<Target | undefined> {
	if (!isNotFound(error) || isReplicate(await getBaseUrl.call(this))) return undefined;
	const { owner, name } = parseModelRef(ref);
	const versionObject = await catalogueVersion.call(this, owner, name).catch(() => undefined);
	return versionObject ? { path: '/predictions', label: `${owner}/${name}`, versionObject } : undefined;
}

async function getModelInputsMethod(this: ILoadOptionsFunctions): Promise<ResourceMapperFields> {
	return await fieldsFor.call(this, 'Input', 'model', 'version');
}

async function getTrainingInputsMethod(this: ILoadOptionsFunctions): Promise<ResourceMapperFields> {
	return await fieldsFor.call(this, 'TrainingInput', 'model', 'version');
}

export const getModelInputs = withNodeErrors(getModelInputsMethod);

export const getTrainingInputs = withNodeErrors(getTrainingInputsMethod);
