import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import {
	deploymentLocator,
	downloadOptions,
	inputFields,
	modelLocator,
	versionField,
	waitTimeoutOption,
} from '../../../shared/descriptions';
import { ensureImported } from '../../../shared/catalogue';
import { toNodeError } from '../../../shared/errors';
import { attachBinaryInputs, readInput, type BinaryInputEntry } from '../../../shared/inputs';
import { createPrediction, deploymentTarget, modelTarget, type Target } from '../../../shared/jobs';
import { jobToItem } from '../../../shared/outputs';
import { inputProperties, outputSchema } from '../../../shared/schema';
import { getBaseUrl, isReplicate } from '../../../shared/transport';
import { runWithRetries, type WaitSettings } from './attempts';
import { runOptions } from './run.options';

const properties: INodeProperties[] = [
	{
		displayName: 'Run',
		name: 'source',
		type: 'options',
		noDataExpression: true,
		default: 'model',
		options: [
			{ name: 'A Model', value: 'model', description: 'A model version (latest or pinned)' },
			{ name: 'A Deployment', value: 'deployment', description: 'A deployment (its current release)' },
		],
	},
	modelLocator({ displayOptions: { show: { source: ['model'] } } }),
	versionField({ displayOptions: { show: { source: ['model'] } } }),
	deploymentLocator({ displayOptions: { show: { source: ['deployment'] } } }),
	...inputFields('getModelInputs'),
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		noDataExpression: true,
		default: 'wait',
		options: [
			{ name: 'Wait for Result', value: 'wait', description: 'Prefer: wait, then poll until the result or the timeout' },
			{ name: 'Start Only', value: 'start', description: 'Return the prediction ID right away (use Await Prediction later)' },
		],
	},
	{
		displayName: 'Resume a Later Await Prediction Node',
		name: 'resumeAwait',
		type: 'boolean',
		default: true,
		description:
			"Whether to register this execution's resume URL as the prediction's webhook, so that a later Gantry Await Prediction node (webhook mode) is resumed when all predictions are done",
		displayOptions: { show: { mode: ['start'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [waitTimeoutOption, ...runOptions, ...downloadOptions],
	},
];

export const description = updateDisplayOptions({ show: { operation: ['run'] } }, properties);

interface RunOptions {
	timeout?: number;
	pollInterval?: number;
	cancelAfter?: string;
	retries?: number;
	retryDelay?: number;
	fallbackModel?: string;
	tags?: { tag?: Array<{ key: string; value: string }> };
	uploadThresholdKb?: number;
	downloadFiles?: boolean;
	binaryPropertyName?: string;
	webhookUrl?: string;
	importFromCatalogue?: boolean;
}

async function targetFor(this: IExecuteFunctions, i: number): Promise<Target> {
	if ((this.getNodeParameter('source', i) as string) === 'deployment') {
		return await deploymentTarget.call(this, this.getNodeParameter('deployment', i, '', { extractValue: true }) as string);
	}
	const model = this.getNodeParameter('model', i, '', { extractValue: true }) as string;
	const options = this.getNodeParameter('options', i, {}) as RunOptions;
	if (options.importFromCatalogue && !isReplicate(await getBaseUrl.call(this))) await ensureImported.call(this, model);
	return await modelTarget.call(this, model, this.getNodeParameter('version', i, '') as string);
}

/** Workflow id, execution id and node name, so cost per workflow run can be read back. */
function tagsFor(this: IExecuteFunctions, options: RunOptions): Record<string, string> {
	const tags: Record<string, string> = {
		n8n_workflow_id: String(this.getWorkflow().id ?? ''),
		n8n_execution_id: String(this.getExecutionId() ?? ''),
		n8n_node: this.getNode().name,
	};
	for (const tag of options.tags?.tag ?? []) if (tag.key) tags[tag.key] = String(tag.value ?? '');
	return tags;
}

async function prepare(this: IExecuteFunctions, i: number, target: Target | undefined, options: RunOptions): Promise<IDataObject> {
	const input = readInput.call(this, i, inputProperties(target?.versionObject));
	const binaryInputs = (this.getNodeParameter('binaryInputs.values', i, []) as BinaryInputEntry[]) ?? [];
	return await attachBinaryInputs.call(this, i, input, binaryInputs, (options.uploadThresholdKb ?? 256) * 1024);
}

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', i, {}) as RunOptions;
	const replicate = isReplicate(await getBaseUrl.call(this));
	const tags = replicate ? undefined : tagsFor.call(this, options);
	const cancelAfter = options.cancelAfter || undefined;

	if ((this.getNodeParameter('mode', i) as string) === 'start') {
		const target = await targetFor.call(this, i);
		const input = await prepare.call(this, i, target, options);
		const resume = this.getNodeParameter('resumeAwait', i, true) as boolean;
		const webhook = options.webhookUrl || (resume ? (this.evaluateExpression('{{ $execution.resumeUrl }}', i) as string) : undefined);
		const prediction = await createPrediction.call(this, target, input, {
			cancelAfter,
			tags,
			webhook,
			webhookEvents: webhook ? ['completed'] : undefined,
		});
		return [{ json: { ...prediction, cost: prediction.cost ?? null }, pairedItem: { item: i } }];
	}

	const settings: WaitSettings = {
		timeoutSeconds: options.timeout ?? 300,
		pollIntervalSeconds: options.pollInterval ?? 1,
		retries: options.retries ?? 0,
		retryDelaySeconds: options.retryDelay ?? 2,
	};
	const create = { cancelAfter, tags, webhook: options.webhookUrl || undefined };
	let target: Target | undefined;
	let input: IDataObject | undefined;
	let extra: IDataObject = {};
	let result;
	try {
		target = await targetFor.call(this, i);
		input = await prepare.call(this, i, target, options);
		result = await runWithRetries.call(this, target, input, create, settings, i);
	} catch (error) {
		if (!options.fallbackModel) throw toNodeError(this.getNode(), error, i);
		const primary = target?.label ?? (this.getNodeParameter('source', i) === 'deployment' ? 'deployment' : String(this.getNodeParameter('model', i, '', { extractValue: true })));
		target = await modelTarget.call(this, options.fallbackModel);
		input ??= await prepare.call(this, i, target, options);
		result = await runWithRetries.call(this, target, input, create, settings, i);
		extra = { fallback: { used: true, model: target.label, primaryModel: primary, primaryError: toNodeError(this.getNode(), error, i).message } };
	}
	return [
		await jobToItem.call(this, result.prediction, { item: i }, {
			downloadFiles: options.downloadFiles !== false,
			binaryPrefix: options.binaryPropertyName ?? 'output',
			outputSchema: outputSchema(target.versionObject),
			extra: { ...extra, attempts: result.attempts },
		}),
	];
}
