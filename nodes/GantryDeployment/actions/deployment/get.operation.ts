import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { deploymentLocator } from '../../../shared/descriptions';
import { apiRequest } from '../../../shared/transport';
import { deploymentRef, withCost } from './common';

export const locatorDescription = updateDisplayOptions(
	{ show: { operation: ['get', 'update', 'scaleToZero', 'delete'] } },
	[deploymentLocator()],
);

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const { owner, name } = deploymentRef.call(this, i);
	const deployment = await apiRequest.call(this, 'GET', `/deployments/${owner}/${name}`);
	return [{ json: await withCost.call(this, deployment), pairedItem: { item: i } }];
}
