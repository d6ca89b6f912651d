import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { cancelJob } from '../../../shared/jobs';

const properties: INodeProperties[] = [
	{
		displayName: 'Prediction ID',
		name: 'predictionId',
		type: 'string',
		default: '={{ $json.id }}',
		required: true,
	},
];

export const description = updateDisplayOptions({ show: { operation: ['cancel'] } }, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const id = this.getNodeParameter('predictionId', i) as string;
	const job = await cancelJob.call(this, 'prediction', id);
	return [{ json: { ...job, cost: job.cost ?? null }, pairedItem: { item: i } }];
}
