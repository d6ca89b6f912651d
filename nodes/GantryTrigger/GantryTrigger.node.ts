import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes } from 'n8n-workflow';

import { inspectHttpError } from '../shared/errors';
import { deploymentLocator, modelLocator } from '../shared/descriptions';
import { searchDeployments, searchModels } from '../shared/methods/listSearch';
import { apiRequest, newIdempotencyKey } from '../shared/transport';
import { eventOf, verifySignature } from './signature';

const STATUSES = ['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted'];

async function subscriptionBody(this: IHookFunctions): Promise<IDataObject> {
	const body: IDataObject = {
		url: this.getNodeWebhookUrl('default'),
		events: this.getNodeParameter('events') as string[],
	};
	const scope = this.getNodeParameter('scope') as string;
	if (scope === 'model') body.model = this.getNodeParameter('model', undefined, { extractValue: true }) as string;
	if (scope === 'deployment') body.deployment = this.getNodeParameter('deployment', undefined, { extractValue: true }) as string;
	return body;
}

export class GantryTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Gantry Trigger',
		name: 'gantryTrigger',
		icon: { light: 'file:../../icons/gantry.svg', dark: 'file:../../icons/gantry.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ $parameter["events"].join(", ") }}',
		description: 'Starts the workflow on prediction and training events (Gantry only)',
		defaults: { name: 'Gantry Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'gantryApi', required: true }],
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' }],
		properties: [
			{
				displayName:
					'Gantry only: this trigger registers a webhook subscription (POST /v1/webhooks), which Replicate does not offer.',
				name: 'gantryOnly',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				default: ['completed'],
				required: true,
				options: [
					{ name: 'Completed', value: 'completed', description: 'Succeeded, failed, canceled or aborted' },
					{ name: 'Logs', value: 'logs' },
					{ name: 'Output', value: 'output' },
					{ name: 'Start', value: 'start' },
				],
			},
			{
				displayName: 'For',
				name: 'scope',
				type: 'options',
				default: 'all',
				options: [
					{ name: 'All Models', value: 'all' },
					{ name: 'One Model', value: 'model' },
					{ name: 'One Deployment', value: 'deployment' },
				],
			},
			modelLocator({ displayOptions: { show: { scope: ['model'] } } }),
			deploymentLocator({ displayOptions: { show: { scope: ['deployment'] } } }),
			{
				displayName: 'Only Statuses',
				name: 'statuses',
				type: 'multiOptions',
				default: [],
				description: 'Start the workflow only for these statuses (empty: any)',
				options: STATUSES.map((status) => ({ name: status[0].toUpperCase() + status.slice(1), value: status })),
			},
		],
	};

	methods = { listSearch: { searchModels, searchDeployments } };

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const data = this.getWorkflowStaticData('node');
				if (!data.subscriptionId) return false;
				const list = await apiRequest.call(this, 'GET', '/webhooks');
				const items = (Array.isArray(list) ? list : ((list.results as IDataObject[]) ?? [])) as IDataObject[];
				const found = items.some((entry) => entry.id === data.subscriptionId);
				if (!found) delete data.subscriptionId;
				return found;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const subscription = await apiRequest.call(this, 'POST', '/webhooks', { body: await subscriptionBody.call(this), idempotencyKey: newIdempotencyKey.call(this) });
				this.getWorkflowStaticData('node').subscriptionId = subscription.id;
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				const data = this.getWorkflowStaticData('node');
				if (!data.subscriptionId) return true;
				try {
					await apiRequest.call(this, 'DELETE', `/webhooks/${data.subscriptionId}`, { json: false });
				} catch (error) {
					if (inspectHttpError(error).status !== '404') {
						throw new NodeApiError(this.getNode(), { message: (error as Error).message }, { message: 'Could not remove the webhook subscription' });
					}
				}
				delete data.subscriptionId;
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = this.getRequestObject() as unknown as { rawBody?: Buffer; body?: unknown };
		const headers = this.getHeaderData();
		const raw = request.rawBody ? request.rawBody.toString('utf8') : JSON.stringify(request.body ?? {});
		const { key } = await apiRequest.call(this, 'GET', '/webhooks/default/secret');
		const check = verifySignature({
			id: headers['webhook-id'] as string | undefined,
			timestamp: headers['webhook-timestamp'] as string | undefined,
			signature: headers['webhook-signature'] as string | undefined,
			body: raw,
			secret: String(key ?? ''),
		});
		if (!check.valid) {
			this.getResponseObject().status(401).json({ error: `Invalid webhook signature: ${check.reason}` });
			return { noWebhookResponse: true };
		}
		const body = this.getBodyData();
		const events = this.getNodeParameter('events', []) as string[];
		const statuses = this.getNodeParameter('statuses', []) as string[];
		const wanted =
			eventOf(body.status).some((event) => events.includes(event)) &&
			(statuses.length === 0 || statuses.includes(String(body.status)));
		if (!wanted) return { webhookResponse: { received: true, ignored: true } };
		return {
			webhookResponse: { received: true },
			workflowData: [[{ json: { ...body, webhookId: headers['webhook-id'] ?? null } }]],
		};
	}
}
