import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { apiRequest } from '../../shared/transport';

/** The tag Run Model puts on every prediction it creates (see its tagsFor). */
export const EXECUTION_TAG = 'n8n_execution_id';

const properties: INodeProperties[] = [
	{
		displayName:
			'Gantry only: what the predictions of this workflow execution cost so far (every prediction Run Model makes is tagged with the execution ID). A prediction counts once it has finished.',
		name: 'costNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Execution ID',
		name: 'executionId',
		type: 'string',
		default: '',
		placeholder: 'the current execution',
		description: 'Another execution to read the cost of; empty for this one',
	},
];

export const description = updateDisplayOptions({ show: { operation: ['executionCost'] } }, properties);

const round = (usd: number) => Math.round(usd * 1e9) / 1e9;

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const executionId = (this.getNodeParameter('executionId', i, '') as string) || String(this.getExecutionId() ?? '');
	const usage = await apiRequest.call(this, 'GET', '/usage', { qs: { group_by: 'model', tag: `${EXECUTION_TAG}:${executionId}` } });
	const byModel = ((usage.results as IDataObject[]) ?? []).map((r) => ({
		model: r.key,
		predictions: (r.by_kind as IDataObject | undefined)?.prediction ? ((r.by_kind as IDataObject).prediction as IDataObject).count : r.count,
		total_usd: r.total_usd,
		quantity: r.quantity,
		unit: r.unit,
	}));
	return [
		{
			json: {
				execution_id: executionId,
				total_usd: round(byModel.reduce((s, r) => s + Number(r.total_usd ?? 0), 0)),
				predictions: byModel.reduce((s, r) => s + Number(r.predictions ?? 0), 0),
				by_model: byModel,
			},
			pairedItem: { item: i },
		},
	];
}
