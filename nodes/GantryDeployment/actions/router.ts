import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { toNodeError } from '../../shared/errors';
import { operations } from './deployment';

type Operation = keyof typeof operations;

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const operation = this.getNodeParameter('operation', i) as Operation;
		try {
			const handler = operations[operation];
			if (!handler) {
				throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not supported`, { itemIndex: i });
			}
			out.push(...(await handler.execute.call(this, i)));
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error, i);
			if (!this.continueOnFail()) throw nodeError;
			out.push({ json: { error: nodeError.message, description: nodeError.description ?? null }, pairedItem: { item: i } });
		}
	}
	return [out];
}
