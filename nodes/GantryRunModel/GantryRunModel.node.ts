import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { getHardware, getVersions } from '../shared/methods/loadOptions';
import { searchDeployments, searchModels } from '../shared/methods/listSearch';
import { getModelInputs } from '../shared/methods/resourceMapping';
import * as prediction from './actions/prediction';
import { router } from './actions/router';

export class GantryRunModel implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Gantry Run Model',
		name: 'gantryRunModel',
		icon: { light: 'file:../../icons/gantry.svg', dark: 'file:../../icons/gantry.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] === "run" ? ($parameter["source"] === "deployment" ? $parameter["deployment"].value : $parameter["model"].value) : $parameter["operation"] }}',
		description: 'Run an AI model on Gantry or Replicate and get its output, files and cost',
		defaults: { name: 'Run Model' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'gantryApi', required: true }],
		properties: prediction.description,
	};

	methods = {
		listSearch: { searchModels, searchDeployments },
		loadOptions: { getVersions, getHardware },
		resourceMapping: { getModelInputs },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
