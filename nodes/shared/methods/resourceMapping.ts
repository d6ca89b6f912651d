import type { ILoadOptionsFunctions, ResourceMapperFields } from 'n8n-workflow';

import { deploymentTarget, modelTarget } from '../jobs';
import { inputProperties, toMapperFields } from '../schema';

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
		target = await modelTarget.call(this, ref, version);
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

export async function getModelInputs(this: ILoadOptionsFunctions): Promise<ResourceMapperFields> {
	return await fieldsFor.call(this, 'Input', 'model', 'version');
}

export async function getTrainingInputs(this: ILoadOptionsFunctions): Promise<ResourceMapperFields> {
	return await fieldsFor.call(this, 'TrainingInput', 'model', 'version');
}
