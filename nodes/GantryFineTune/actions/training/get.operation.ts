import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { cancelJob, getJob, trainedVersion } from '../../../shared/jobs';

const properties: INodeProperties[] = [
	{
		displayName: 'Training ID',
		name: 'trainingId',
		type: 'string',
		default: '={{ $json.id }}',
		required: true,
	},
];

export const description = updateDisplayOptions({ show: { operation: ['get', 'cancel'] } }, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const id = this.getNodeParameter('trainingId', i) as string;
	const operation = this.getNodeParameter('operation', i) as string;
	const training = operation === 'cancel' ? await cancelJob.call(this, 'training', id) : await getJob.call(this, 'training', id);
	const trained = trainedVersion(training);
	return [{ json: { ...training, new_version: trained.id, new_version_ref: trained.ref, cost: training.cost ?? null }, pairedItem: { item: i } }];
}
