import type { IBinaryKeyData, IDataObject, INodeExecutionData, IPairedItemData } from 'n8n-workflow';

import { findFileOutputs } from './schema';
import { downloadFile } from './transport';
import type { IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';
import type { OpenApiSchema, Prediction } from './types';

export interface OutputOptions {
	downloadFiles: boolean;
	binaryPrefix: string;
	outputSchema?: OpenApiSchema;
	extra?: IDataObject;
}

/**
 * One output item per job: the whole prediction (so `output`, `metrics`, `cost` are at the top),
 * `cost` always present (null on Replicate), and file outputs downloaded into binary properties.
 */
export async function jobToItem(
	this: IExecuteFunctions | IWebhookFunctions,
	job: Prediction,
	pairedItem: IPairedItemData,
	options: OutputOptions,
): Promise<INodeExecutionData> {
	const json: IDataObject = { ...job, cost: job.cost ?? null, ...(options.extra ?? {}) };
	const item: INodeExecutionData = { json, pairedItem };
	if (!options.downloadFiles || job.status !== 'succeeded') return item;
	const files = findFileOutputs(job.output, options.outputSchema);
	if (files.length === 0) return item;
	const binary: IBinaryKeyData = {};
	const prefix = options.binaryPrefix || 'output';
	const single = files.length === 1;
	for (const [index, file] of files.entries()) {
		const downloaded = await downloadFile.call(this, file.url);
		const key = single ? prefix : `${prefix}${file.key || `_${index}`}`;
		const fileName = downloaded.fileName ?? `${job.id}${file.key || ''}`;
		binary[key] = await this.helpers.prepareBinaryData(downloaded.data, fileName, downloaded.mimeType);
	}
	item.binary = binary;
	json.binaryProperties = Object.keys(binary);
	return item;
}
