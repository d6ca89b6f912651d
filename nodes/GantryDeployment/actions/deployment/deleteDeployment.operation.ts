import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { apiRequest } from '../../../shared/transport';
import { deploymentRef } from './common';

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const { owner, name } = deploymentRef.call(this, i);
	await apiRequest.call(this, 'DELETE', `/deployments/${owner}/${name}`, { json: false });
	return [{ json: { deleted: true, deployment: `${owner}/${name}` }, pairedItem: { item: i } }];
}
