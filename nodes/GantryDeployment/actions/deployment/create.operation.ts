import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { hardwareField, modelLocator, versionField } from '../../../shared/descriptions';
import { getLatestVersion } from '../../../shared/jobs';
import { parseModelRef } from '../../../shared/refs';
import { apiRequest, newIdempotencyKey } from '../../../shared/transport';
import { withCost } from './common';

const properties: INodeProperties[] = [
	{ displayName: 'Name', name: 'name', type: 'string', default: '', required: true, placeholder: 'my-deployment' },
	modelLocator({ description: 'The model to deploy' }),
	versionField({ description: 'The version to deploy; Latest resolves to the newest version ID now' }),
	hardwareField({ required: true }),
	{ displayName: 'Min Instances', name: 'minInstances', type: 'number', typeOptions: { minValue: 0 }, default: 0 },
	{ displayName: 'Max Instances', name: 'maxInstances', type: 'number', typeOptions: { minValue: 0 }, default: 1 },
];

export const description = updateDisplayOptions({ show: { operation: ['create'] } }, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const model = this.getNodeParameter('model', i, '', { extractValue: true }) as string;
	const { owner, name } = parseModelRef(model);
	let version = this.getNodeParameter('version', i, '') as string;
	if (!version) version = (await getLatestVersion.call(this, owner, name))?.id ?? '';
	const deployment = await apiRequest.call(this, 'POST', '/deployments', {
		body: {
			name: this.getNodeParameter('name', i) as string,
			model: `${owner}/${name}`,
			version,
			hardware: this.getNodeParameter('hardware', i) as string,
			min_instances: this.getNodeParameter('minInstances', i) as number,
			max_instances: this.getNodeParameter('maxInstances', i) as number,
		},
		idempotencyKey: newIdempotencyKey.call(this),
	});
	return [{ json: await withCost.call(this, deployment), pairedItem: { item: i } }];
}
