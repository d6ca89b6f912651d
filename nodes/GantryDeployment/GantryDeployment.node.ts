import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { getHardware, getVersions } from '../shared/methods/loadOptions';
import { searchDeployments, searchModels } from '../shared/methods/listSearch';
import { description } from './actions/deployment';
import { router } from './actions/router';

export class GantryDeployment implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Gantry Deployment',
		name: 'gantryDeployment',
		icon: { light: 'file:../../icons/gantry.svg', dark: 'file:../../icons/gantry.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": deployment" }}',
		description: 'Create, inspect, scale and delete model deployments',
		defaults: { name: 'Deployment' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'gantryApi', required: true }],
		properties: description,
	};

	methods = {
		listSearch: { searchModels, searchDeployments },
		loadOptions: { getVersions, getHardware },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
