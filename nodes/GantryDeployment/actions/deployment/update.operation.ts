import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { hardwareField } from '../../../shared/descriptions';
import { patchDeployment, withCost } from './common';

const properties: INodeProperties[] = [
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		options: [
			hardwareField(),
			{ displayName: 'Max Instances', name: 'maxInstances', type: 'number', typeOptions: { minValue: 0 }, default: 1 },
			{ displayName: 'Min Instances', name: 'minInstances', type: 'number', typeOptions: { minValue: 0 }, default: 0 },
			{ displayName: 'Version ID', name: 'version', type: 'string', default: '', description: 'Deploy this version (a new release)' },
		],
	},
];

export const description = updateDisplayOptions({ show: { operation: ['update'] } }, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const fields = this.getNodeParameter('updateFields', i, {}) as IDataObject;
	const body: IDataObject = {};
	if (fields.version) body.version = fields.version;
	if (fields.hardware) body.hardware = fields.hardware;
	if (fields.minInstances !== undefined) body.min_instances = fields.minInstances;
	if (fields.maxInstances !== undefined) body.max_instances = fields.maxInstances;
	if (Object.keys(body).length === 0) {
		throw new NodeOperationError(this.getNode(), 'Nothing to update: add at least one field', { itemIndex: i });
	}
	return [{ json: await withCost.call(this, await patchDeployment.call(this, i, body)), pairedItem: { item: i } }];
}
