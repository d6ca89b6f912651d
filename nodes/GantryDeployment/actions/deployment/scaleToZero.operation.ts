import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { patchDeployment, withCost } from './common';

const properties: INodeProperties[] = [
	{
		displayName: 'Also Disable',
		name: 'disable',
		type: 'boolean',
		default: false,
		description:
			'Whether to set max instances to 0 as well, which stops all instances and cancels running predictions; otherwise only min instances becomes 0 and idle instances shut down',
	},
];

export const description = updateDisplayOptions({ show: { operation: ['scaleToZero'] } }, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const disable = this.getNodeParameter('disable', i, false) as boolean;
	const body = disable ? { min_instances: 0, max_instances: 0 } : { min_instances: 0 };
	return [{ json: await withCost.call(this, await patchDeployment.call(this, i, body)), pairedItem: { item: i } }];
}
