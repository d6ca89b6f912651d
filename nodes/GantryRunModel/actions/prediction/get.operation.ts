import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { downloadOptions } from '../../../shared/descriptions';
import { getJob, getVersion } from '../../../shared/jobs';
import { jobToItem } from '../../../shared/outputs';
import { parseModelRef } from '../../../shared/refs';
import { outputSchema } from '../../../shared/schema';

const properties: INodeProperties[] = [
	{
		displayName: 'Prediction ID',
		name: 'predictionId',
		type: 'string',
		default: '={{ $json.id }}',
		required: true,
	},
	{
		displayName: 'Options',
		name: 'getOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: downloadOptions,
	},
];

export const description = updateDisplayOptions({ show: { operation: ['get'] } }, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const id = this.getNodeParameter('predictionId', i) as string;
	const options = this.getNodeParameter('getOptions', i, {}) as { downloadFiles?: boolean; binaryPropertyName?: string };
	const job = await getJob.call(this, 'prediction', id);
	const download = options.downloadFiles !== false;
	let schema;
	if (download && job.status === 'succeeded' && job.model && job.version && job.version !== 'hidden') {
		const { owner, name } = parseModelRef(job.model);
		schema = outputSchema(await getVersion.call(this, owner, name, job.version).catch(() => undefined));
	}
	return [
		await jobToItem.call(this, job, { item: i }, {
			downloadFiles: download,
			binaryPrefix: options.binaryPropertyName ?? 'output',
			outputSchema: schema,
		}),
	];
}
