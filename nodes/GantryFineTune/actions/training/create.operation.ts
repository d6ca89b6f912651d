import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { awaitJobs, awaitModeField, type AwaitedJob } from '../../../shared/awaiting';
import { inputFields, modelLocator, versionField } from '../../../shared/descriptions';
import { toNodeError } from '../../../shared/errors';
import { attachBinaryInputs, readInput } from '../../../shared/inputs';
import { getLatestVersion, getVersion } from '../../../shared/jobs';
import { parseModelRef } from '../../../shared/refs';
import { inputProperties } from '../../../shared/schema';
import { apiRequest, newIdempotencyKey, unlessNotFound } from '../../../shared/transport';
import type { Prediction, VersionObject } from '../../../shared/types';

const properties: INodeProperties[] = [
	modelLocator({ description: 'The base model to fine-tune' }, 'Base Model'),
	versionField({ displayName: 'Base Version Name or ID' }),
	{
		displayName: 'Destination Model',
		name: 'destination',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'owner/my-fine-tune',
		description: 'The model that receives the trained version: owner/name, or just a name for a model of your own account',
	},
	{
		displayName: 'Create Destination If Missing',
		name: 'createDestination',
		type: 'boolean',
		default: true,
		description:
			"Whether to create the destination as a private model (on the base model's hardware) when it does not exist yet",
	},
	...inputFields('getTrainingInputs', 'Training Input').filter((p) => p.name !== 'binaryInputs'),
	{
		displayName: 'Dataset',
		name: 'datasetSource',
		type: 'options',
		default: 'none',
		options: [
			{ name: 'In the Training Input', value: 'none' },
			{ name: 'From a URL', value: 'url' },
			{ name: 'From Binary Data', value: 'binary' },
		],
	},
	{
		displayName: 'Dataset Input Field',
		name: 'datasetField',
		type: 'string',
		default: 'train_data',
		displayOptions: { show: { datasetSource: ['url', 'binary'] } },
	},
	{
		displayName: 'Dataset URL',
		name: 'datasetUrl',
		type: 'string',
		default: '',
		displayOptions: { show: { datasetSource: ['url'] } },
	},
	{
		displayName: 'Dataset Binary Property',
		name: 'datasetBinaryProperty',
		type: 'string',
		default: 'data',
		displayOptions: { show: { datasetSource: ['binary'] } },
	},
	{
		...awaitModeField(),
		options: [
			...(awaitModeField().options ?? []),
			{ name: 'Start Only', value: 'start', description: 'Return the training right away' },
		],
	},
	{
		displayName: 'Timeout (Seconds)',
		name: 'timeout',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 7200,
		displayOptions: { show: { waitMode: ['webhook', 'poll'] } },
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollInterval',
		type: 'number',
		typeOptions: { minValue: 0.2 },
		default: 5,
		displayOptions: { show: { waitMode: ['poll'] } },
	},
];

export const description = updateDisplayOptions({ show: { operation: ['create'] } }, properties);

async function baseVersion(this: IExecuteFunctions, i: number): Promise<{ owner: string; name: string; version: VersionObject }> {
	const { owner, name } = parseModelRef(this.getNodeParameter('model', i, '', { extractValue: true }) as string);
	const pinned = this.getNodeParameter('version', i, '') as string;
	const version = pinned ? await getVersion.call(this, owner, name, pinned) : await getLatestVersion.call(this, owner, name);
	if (!version?.id) throw new NodeOperationError(this.getNode(), `${owner}/${name} has no version to train`, { itemIndex: i });
	return { owner, name, version };
}

/**
 * The destination as `owner/name`: a bare name belongs to the token's account. Replicate and
 * Gantry both require the destination model to exist, so it is created (private) when missing
 * and the node is asked to.
 */
async function destinationFor(this: IExecuteFunctions, i: number, baseOwner: string, baseName: string): Promise<string> {
	const raw = (this.getNodeParameter('destination', i) as string).trim();
	if (!/^([A-Za-z0-9_.-]+\/)?[A-Za-z0-9_.-]+$/.test(raw)) {
		throw new NodeOperationError(this.getNode(), `Destination model "${raw}" is not "owner/name" or "name"`, { itemIndex: i });
	}
	const [owner, name] = raw.includes('/')
		? raw.split('/')
		: [(await apiRequest.call(this, 'GET', '/account')).username as string, raw];
	if (!(this.getNodeParameter('createDestination', i, true) as boolean)) return `${owner}/${name}`;
	const existing = await unlessNotFound(apiRequest.call(this, 'GET', `/models/${owner}/${name}`));
	if (!existing) {
		const base = await apiRequest.call(this, 'GET', `/models/${baseOwner}/${baseName}`).catch(() => ({}) as IDataObject);
		await apiRequest.call(this, 'POST', '/models', {
			body: {
				owner,
				name,
				visibility: 'private',
				hardware: (base.hardware as string | undefined) ?? 'cpu',
				description: `Fine-tune of ${baseOwner}/${baseName}`,
			},
			idempotencyKey: newIdempotencyKey.call(this),
		});
	}
	return `${owner}/${name}`;
}

async function createOne(this: IExecuteFunctions, i: number, webhook: string | undefined): Promise<Prediction> {
	const { owner, name, version } = await baseVersion.call(this, i);
	const input = readInput.call(this, i, inputProperties(version, 'TrainingInput'));
	const source = this.getNodeParameter('datasetSource', i) as string;
	const field = this.getNodeParameter('datasetField', i, 'train_data') as string;
	if (source === 'url') input[field] = this.getNodeParameter('datasetUrl', i) as string;
	if (source === 'binary') {
		const binaryProperty = this.getNodeParameter('datasetBinaryProperty', i) as string;
		await attachBinaryInputs.call(this, i, input, [{ field, binaryProperty }], 256 * 1024);
	}
	const body: IDataObject = { destination: await destinationFor.call(this, i, owner, name), input };
	if (webhook) {
		body.webhook = webhook;
		body.webhook_events_filter = ['completed'];
	}
	return (await apiRequest.call(this, 'POST', `/models/${owner}/${name}/versions/${version.id}/trainings`, {
		body,
		idempotencyKey: newIdempotencyKey.call(this),
	})) as unknown as Prediction;
}

/** Creates one training per item, then waits for all of them together (or returns at once). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const mode = this.getNodeParameter('waitMode', 0) as 'webhook' | 'poll' | 'start';
	const webhook = mode === 'webhook' ? (this.evaluateExpression('{{ $execution.resumeUrl }}', 0) as string) : undefined;
	const created: Prediction[] = [];
	const awaited: AwaitedJob[] = [];
	const failed: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			const training = await createOne.call(this, i, webhook);
			created.push(training);
			awaited.push({ id: training.id, item: i });
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error, i);
			if (!this.continueOnFail()) throw nodeError;
			failed.push({ json: { error: nodeError.message, description: nodeError.description ?? null }, pairedItem: { item: i } });
		}
	}
	if (mode === 'start' || awaited.length === 0) {
		return [[...created.map((training, index) => ({ json: { ...training, cost: training.cost ?? null }, pairedItem: { item: awaited[index].item } })), ...failed]];
	}
	const result = await awaitJobs.call(this, 'training', awaited, {
		mode,
		timeoutSeconds: this.getNodeParameter('timeout', 0, 7200) as number,
		pollIntervalSeconds: mode === 'poll' ? (this.getNodeParameter('pollInterval', 0, 5) as number) : 5,
		downloadFiles: false,
		binaryPrefix: 'output',
	}, created);
	return [[...result[0], ...failed]];
}
