import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { resumeFromWebhook, resumeWebhookMethods } from '../shared/awaiting';
import { getVersions } from '../shared/methods/loadOptions';
import { searchModels } from '../shared/methods/listSearch';
import { getTrainingInputs } from '../shared/methods/resourceMapping';
import { description, router } from './actions/router';

export class GantryFineTune implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Gantry Fine-Tune',
		name: 'gantryFineTune',
		icon: { light: 'file:../../icons/gantry.svg', dark: 'file:../../icons/gantry.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + " training" }}',
		description: 'Fine-tune a model (trainings) and get the new version and its cost',
		defaults: { name: 'Fine-Tune' },
		// Not offered as an AI tool: it pauses the execution until a webhook resumes it.
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'gantryApi', required: true }],
		waitingNodeTooltip: '=Waiting for the training to finish: the engine calls {{ $execution.resumeUrl }}',
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
		properties: description,
	};

	methods = {
		listSearch: { searchModels },
		loadOptions: { getVersions },
		resourceMapping: { getTrainingInputs },
	};

	webhookMethods = resumeWebhookMethods;

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await resumeFromWebhook.call(this);
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
