import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { toNodeError } from '../../shared/errors';
import * as prediction from './prediction';

type Operation = keyof typeof prediction.operations;

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const operation = this.getNodeParameter('operation', i) as Operation;
		const handler = prediction.operations[operation];
		try {
			if (!handler) {
				throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not supported`, { itemIndex: i });
			}
			out.push(...(await handler.execute.call(this, i)));
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error, i);
			if (this.continueOnFail()) {
				out.push({
					json: { error: nodeError.message, description: nodeError.description ?? null },
					pairedItem: { item: i },
				});
				continue;
			}
			throw nodeError;
		}
	}
	return [out];
}
