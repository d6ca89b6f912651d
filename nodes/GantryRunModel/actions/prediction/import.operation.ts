import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { importModel } from '../../../shared/catalogue';
import { hardwareField, modelLocator } from '../../../shared/descriptions';
import { getBaseUrl, isReplicate } from '../../../shared/transport';

const properties: INodeProperties[] = [
	{
		displayName:
			'Gantry only: copies a model from the public model catalogue that ships with the engine (Replicate\'s public models) onto the engine, with its schema and the catalogue\'s version ID. It runs on a worker with Docker and the GPU its hardware names.',
		name: 'importNotice',
		type: 'notice',
		default: '',
	},
	modelLocator({ description: 'The catalogue model to import (owner/name)' }),
	{
		displayName: 'Import Options',
		name: 'importOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			hardwareField({
				description:
					'Hardware SKU for the imported version; by default the engine picks its import default (larger for models whose name states a large parameter count). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			}),
			{
				displayName: 'Command Template',
				name: 'command',
				type: 'string',
				default: '',
				placeholder: 'docker run --rm --gpus \'"device={gpus}"\' -p {port}:5000 {image}',
				description: 'How a worker starts the Cog image ({image}, {port}, {gpus}); by default the engine\'s GANTRY_COG_COMMAND',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { operation: ['import'] } }, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	if (isReplicate(await getBaseUrl.call(this))) {
		throw new NodeOperationError(this.getNode(), 'Import From Catalogue works with Gantry only: Replicate runs its public models as they are', {
			itemIndex: i,
		});
	}
	const ref = this.getNodeParameter('model', i, '', { extractValue: true }) as string;
	const options = this.getNodeParameter('importOptions', i, {}) as { hardware?: string; command?: string };
	const { created, model } = await importModel.call(this, ref, options);
	return [{ json: { ...model, created }, pairedItem: { item: i } }];
}
