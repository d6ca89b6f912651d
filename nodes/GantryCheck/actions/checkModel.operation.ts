import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { awaitJobs, awaitModeField, awaitTimingFields, type AwaitedJob } from '../../shared/awaiting';
import { modelLocator, versionField } from '../../shared/descriptions';
import { apiRequest } from '../../shared/transport';
import type { Prediction } from '../../shared/types';

const properties: INodeProperties[] = [
	{
		displayName:
			'Gantry only: runs real predictions of the model (the same input several times, on a fresh instance, at the limits of its schema, under a deadline, on other hardware, against another model) and outputs the report: one item per checklist row with pass, warn, fail or skipped. "passed" is false when an item fails.',
		name: 'checkNotice',
		type: 'notice',
		default: '',
	},
	modelLocator({ description: 'The model to check' }),
	versionField(),
	{
		displayName: 'Input (JSON)',
		name: 'inputJson',
		type: 'json',
		default: '{}',
		required: true,
		description: 'The typical input of the model, e.g. {"prompt": "a cat"}',
	},
	awaitModeField(),
	...awaitTimingFields('check'),
	{
		displayName: 'Check Options',
		name: 'checkOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Compare With',
				name: 'compareWith',
				type: 'string',
				default: '',
				placeholder: 'owner/name or owner/name:version',
				description: 'Another model (or version) to run the same checks on, side by side',
			},
			{
				displayName: 'Deadline',
				name: 'deadline',
				type: 'string',
				default: '60s',
				description: 'The deadline a production caller would set (Cancel-After), e.g. 60s or 5m',
			},
			{
				displayName: 'Deployment',
				name: 'deployment',
				type: 'string',
				default: '',
				placeholder: 'owner/name',
				description: 'Run the check on this deployment of the model',
			},
			{
				displayName: 'Hardware Names or IDs',
				name: 'hardware',
				type: 'multiOptions',
				typeOptions: { loadOptionsMethod: 'getHardware' },
				default: [],
				description:
					'Repeat the runs on these SKUs and find the cheapest one within 20 % of the fastest. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
			{
				displayName: 'Runs',
				name: 'runs',
				type: 'number',
				typeOptions: { minValue: 2, maxValue: 20 },
				default: 5,
				description: 'How many times the same input runs',
			},
			{
				displayName: 'Worst Case From Schema',
				name: 'worstCase',
				type: 'boolean',
				default: true,
				description: "Whether to run an input at the limits the model's schema declares (longest strings, largest numbers)",
			},
			{
				displayName: 'Worst-Case Input (JSON)',
				name: 'worstCaseInput',
				type: 'json',
				default: '',
				description: 'Fields of an input you know to be hard, over the typical input',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { operation: ['checkModel'] } }, properties);

interface CheckOptions {
	compareWith?: string;
	deadline?: string;
	deployment?: string;
	hardware?: string[];
	runs?: number;
	worstCase?: boolean;
	worstCaseInput?: string | IDataObject;
}

function parseJson(ctx: IExecuteFunctions, value: unknown, field: string, i: number): IDataObject {
	if (value && typeof value === 'object') return value as IDataObject;
	try {
		const parsed = JSON.parse(String(value || '{}'));
		if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as IDataObject;
	} catch {
		// reported below
	}
	throw new NodeOperationError(ctx.getNode(), `${field} must be a JSON object`, { itemIndex: i });
}

/** The POST /v1/checks body for item `i`. */
function checkBody(this: IExecuteFunctions, i: number, webhook: string | undefined): IDataObject {
	const model = this.getNodeParameter('model', i, '', { extractValue: true }) as string;
	const version = this.getNodeParameter('version', i, '') as string;
	const options = this.getNodeParameter('checkOptions', i, {}) as CheckOptions;
	const body: IDataObject = {
		model: version ? `${model.split(':')[0]}:${version}` : model,
		input: parseJson(this, this.getNodeParameter('inputJson', i), 'Input (JSON)', i),
	};
	if (options.runs) body.runs = options.runs;
	if (options.hardware?.length) body.hardware = options.hardware;
	if (options.compareWith) body.compare_with = options.compareWith;
	if (options.deployment) body.deployment = options.deployment;
	if (options.deadline) body.timeout = options.deadline;
	const marked = options.worstCaseInput ? parseJson(this, options.worstCaseInput, 'Worst-Case Input (JSON)', i) : undefined;
	if (marked || options.worstCase === false) body.worst_case = { from_schema: options.worstCase !== false, inputs: marked ? [marked] : [] };
	if (webhook) {
		body.webhook = webhook;
		body.webhook_events_filter = ['completed'];
	}
	return body;
}

/** Starts a check per item, then waits for all of them: paused until the engine's webhook resumes it, or polling. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const mode = this.getNodeParameter('waitMode', 0) as 'webhook' | 'poll';
	const awaited: AwaitedJob[] = [];
	const started: Prediction[] = [];
	for (let i = 0; i < items.length; i++) {
		const webhook = mode === 'webhook' ? (this.evaluateExpression('{{ $execution.resumeUrl }}', i) as string) : undefined;
		const check = (await apiRequest.call(this, 'POST', '/checks', { body: checkBody.call(this, i, webhook) })) as unknown as Prediction;
		awaited.push({ id: check.id, item: i });
		started.push(check);
	}
	return await awaitJobs.call(
		this,
		'check',
		awaited,
		{
			mode,
			timeoutSeconds: this.getNodeParameter('timeout', 0, 3600) as number,
			pollIntervalSeconds: mode === 'poll' ? (this.getNodeParameter('pollInterval', 0, 2) as number) : 2,
			downloadFiles: false,
			binaryPrefix: 'output',
		},
		started,
	);
}
