import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import {
	awaitJobs,
	awaitModeField,
	resumeFromWebhook,
	resumeWebhookMethods,
	type AwaitedJob,
} from '../shared/awaiting';
import { downloadOptions } from '../shared/descriptions';
import { toNodeError } from '../shared/errors';

export class GantryAwaitPrediction implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Gantry Await Prediction',
		name: 'gantryAwaitPrediction',
		icon: { light: 'file:../../icons/gantry.svg', dark: 'file:../../icons/gantry.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["waitMode"] === "poll" ? "Polling" : "Webhook" }}',
		description: 'Wait until predictions started by Run Model (start only) are finished, then output them',
		defaults: { name: 'Await Prediction' },
		// Not offered as an AI tool: it pauses the execution until a webhook resumes it.
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'gantryApi', required: true }],
		waitingNodeTooltip:
			'=Waiting for the predictions to finish: the engine calls {{ $execution.resumeUrl }} when each one is done',
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				responseData: '',
				path: '',
				restartWebhook: true,
			},
		],
		properties: [
			{
				displayName:
					'Webhook mode needs the predictions to be created with this execution\'s resume URL as webhook: Run Model in "Start Only" mode does that when "Resume a Later Await Prediction Node" is on. All input items are awaited together; the execution resumes when every prediction is final.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Prediction IDs',
				name: 'predictionIds',
				type: 'string',
				default: '={{ $json.id }}',
				required: true,
				description: 'One or more prediction IDs per item (comma-separated or an array)',
			},
			awaitModeField(),
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 3600,
				description:
					'How long to wait; then the node outputs items with awaitStatus "timeout". 0 waits forever (webhook mode). In webhook mode n8n checks timeouts about once a minute.',
			},
			{
				displayName: 'Poll Interval (Seconds)',
				name: 'pollInterval',
				type: 'number',
				typeOptions: { minValue: 0.2 },
				default: 2,
				displayOptions: { show: { waitMode: ['poll'] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: downloadOptions,
			},
		],
	};

	webhookMethods = resumeWebhookMethods;

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await resumeFromWebhook.call(this);
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const awaited: AwaitedJob[] = [];
		for (let i = 0; i < items.length; i++) {
			const raw = this.getNodeParameter('predictionIds', i) as string | string[];
			const ids = (Array.isArray(raw) ? raw : String(raw ?? '').split(','))
				.map((id) => String(id).trim())
				.filter(Boolean);
			if (ids.length === 0) {
				throw new NodeOperationError(this.getNode(), 'No prediction ID given', { itemIndex: i });
			}
			for (const id of ids) awaited.push({ id, item: i });
		}
		const options = this.getNodeParameter('options', 0, {}) as { downloadFiles?: boolean; binaryPropertyName?: string };
		const mode = this.getNodeParameter('waitMode', 0) as 'webhook' | 'poll';
		try {
			return await awaitJobs.call(this, 'prediction', awaited, {
				mode,
				timeoutSeconds: this.getNodeParameter('timeout', 0, 3600) as number,
				pollIntervalSeconds: mode === 'poll' ? (this.getNodeParameter('pollInterval', 0, 2) as number) : 2,
				downloadFiles: options.downloadFiles !== false,
				binaryPrefix: options.binaryPropertyName ?? 'output',
			});
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error);
			if (this.continueOnFail()) {
				return [items.map((_, i) => ({ json: { error: nodeError.message }, pairedItem: { item: i } }))];
			}
			throw nodeError;
		}
	}
}
