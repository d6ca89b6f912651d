import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { toNodeError } from '../../shared/errors';
import * as create from './training/create.operation';
import * as get from './training/get.operation';

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		default: 'create',
		options: [
			{ name: 'Create', value: 'create', description: 'Start a fine-tune and wait for the new version', action: 'Create a training' },
			{ name: 'Get', value: 'get', description: 'Get a training by ID', action: 'Get a training' },
			{ name: 'Cancel', value: 'cancel', description: 'Cancel a running training', action: 'Cancel a training' },
		],
	},
	...create.description,
	...get.description,
];

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	if ((this.getNodeParameter('operation', 0) as string) === 'create') return await create.execute.call(this);
	const items = this.getInputData();
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			out.push(...(await get.execute.call(this, i)));
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error, i);
			if (!this.continueOnFail()) throw nodeError;
			out.push({ json: { error: nodeError.message }, pairedItem: { item: i } });
		}
	}
	return [out];
}
