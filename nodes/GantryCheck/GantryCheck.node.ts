import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { resumeFromWebhook, resumeWebhookMethods, resumeWebhooks } from '../shared/awaiting';
import { toNodeError } from '../shared/errors';
import { getHardware, getVersions } from '../shared/methods/loadOptions';
import { searchModels } from '../shared/methods/listSearch';
import { getBaseUrl, isReplicate } from '../shared/transport';
import { checkModel, description, executionCost } from './actions';

export class GantryCheck implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Gantry Check',
		name: 'gantryCheck',
		icon: { light: 'file:../../icons/gantry.svg', dark: 'file:../../icons/gantry.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] === "checkModel" ? "Check " + $parameter["model"].value : "Execution cost" }}',
		description: 'Test a model before production (Gantry only), and read what this workflow execution cost',
		defaults: { name: 'Gantry Check' },
		// Not offered as an AI tool: a check pauses the execution until a webhook resumes it.
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'gantryApi', required: true }],
		waitingNodeTooltip: '=Waiting for the model check to finish: the engine calls {{ $execution.resumeUrl }} when it is done',
		webhooks: resumeWebhooks,
		properties: description,
	};

	methods = {
		listSearch: { searchModels },
		loadOptions: { getVersions, getHardware },
	};

	webhookMethods = resumeWebhookMethods;

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await resumeFromWebhook.call(this);
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const operation = this.getNodeParameter('operation', 0) as 'checkModel' | 'executionCost';
		try {
			if (isReplicate(await getBaseUrl.call(this))) {
				throw new NodeOperationError(this.getNode(), 'Gantry Check works with Gantry only: Replicate has no model checks or usage API');
			}
			if (operation === 'checkModel') return await checkModel.execute.call(this);
			const out: INodeExecutionData[] = [];
			for (let i = 0; i < items.length; i++) out.push(...(await executionCost.execute.call(this, i)));
			return [out];
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error);
			if (this.continueOnFail()) {
				return [items.map((_, i) => ({ json: { error: nodeError.message }, pairedItem: { item: i } }))];
			}
			throw nodeError;
		}
	}
}
