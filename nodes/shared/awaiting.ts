import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	IWebhookDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { WAIT_INDEFINITELY } from 'n8n-workflow';

import { getJob, getVersion, pollUntilDone, trainedVersion } from './jobs';
import { jobToItem } from './outputs';
import { parseModelRef } from './refs';
import { outputSchema } from './schema';
import { isTerminal, type JobKind, type Prediction, type VersionObject } from './types';

/**
 * Waiting on predictions or trainings inside a workflow.
 *
 * Webhook mode: the jobs were created with `$execution.resumeUrl` as their webhook (Run Model in
 * start-only mode, or Fine-tune). The node checks the jobs once; if any is still running it
 * stores what it awaits in its own input items (n8n keeps them with the waiting execution) and
 * pauses the execution. Every completion webhook then calls `webhook()`, which re-reads all
 * awaited jobs from the API and resumes the execution only when every one is final.
 *
 * Race: a job that finishes before the execution is saved as waiting gets 409 from n8n for its
 * webhook. That is harmless: the node already counted it when it checked the jobs, and the API
 * retries the final webhook (Replicate and Gantry both retry it with backoff), so the last job
 * to finish always finds the execution waiting, and `webhook()` reads every job's state from the
 * API rather than trusting the callback body.
 */

export const STATE_KEY = 'gantryAwait';

export interface AwaitedJob {
	id: string;
	item: number;
}

interface AwaitState {
	kind: JobKind;
	jobs: AwaitedJob[];
	downloadFiles: boolean;
	binaryPrefix: string;
}

export interface AwaitSettings {
	mode: 'webhook' | 'poll';
	timeoutSeconds: number;
	pollIntervalSeconds: number;
	downloadFiles: boolean;
	binaryPrefix: string;
}

/** The restart webhook that `$execution.resumeUrl` reaches (POST /webhook-waiting/<execution>). */
export const resumeWebhooks: IWebhookDescription[] = [
	{
		name: 'default',
		httpMethod: 'POST',
		responseMode: 'onReceived',
		responseData: '',
		path: '',
		restartWebhook: true,
	},
];

/** n8n never calls these for restart webhooks; the lint rule wants them declared. */
export const resumeWebhookMethods = {
	default: {
		async checkExists(): Promise<boolean> {
			return true;
		},
		async create(): Promise<boolean> {
			return true;
		},
		async delete(): Promise<boolean> {
			return true;
		},
	},
};

export const awaitModeField = (extraDescription = ''): INodeProperties => ({
	displayName: 'Wait Mode',
	name: 'waitMode',
	type: 'options',
	noDataExpression: true,
	default: 'webhook',
	options: [
		{
			name: 'Webhook (Pause Execution)',
			value: 'webhook',
			description: `The engine calls this execution's resume URL when done; nothing runs meanwhile${extraDescription}`,
		},
		{
			name: 'Polling',
			value: 'poll',
			description: 'Check the API every few seconds (for engines that cannot reach n8n)',
		},
	],
});

/** How long to wait, and (polling) how often to look: the fields every waiting operation shows. */
export const awaitTimingFields = (what: string): INodeProperties[] => [
	{
		displayName: 'Timeout (Seconds)',
		name: 'timeout',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 3600,
		description: `How long to wait for the ${what}; then the node outputs it with awaitStatus "timeout". 0 waits forever (webhook mode).`,
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollInterval',
		type: 'number',
		typeOptions: { minValue: 0.2 },
		default: 2,
		displayOptions: { show: { waitMode: ['poll'] } },
	},
];

const versionCache = new Map<string, Promise<VersionObject | undefined>>();

async function schemaFor(this: IExecuteFunctions | IWebhookFunctions, job: Prediction) {
	if (!job.model || !job.version || job.version === 'hidden') return undefined;
	const key = `${job.model}:${job.version}`;
	if (!versionCache.has(key)) {
		const { owner, name } = parseModelRef(job.model);
		versionCache.set(key, getVersion.call(this, owner, name, job.version).catch(() => undefined));
	}
	return outputSchema(await versionCache.get(key));
}

/** A model check as an item: the check with its report, and whether it passed (no item failed). */
function checkToJson(check: Prediction, final: boolean): IDataObject {
	const report = (check.report ?? null) as IDataObject | null;
	return {
		...check,
		passed: final && check.status === 'succeeded' && report?.status !== 'fail',
		awaitStatus: final ? 'completed' : 'timeout',
	};
}

/** Output items, one per awaited job, in the order they were awaited. */
export async function finishedItems(
	this: IExecuteFunctions | IWebhookFunctions,
	kind: JobKind,
	awaited: AwaitedJob[],
	jobs: Prediction[],
	downloadFiles: boolean,
	binaryPrefix: string,
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	for (const [index, job] of jobs.entries()) {
		const final = isTerminal(job.status);
		if (kind === 'check') {
			items.push({ json: checkToJson(job, final), pairedItem: { item: awaited[index].item } });
			continue;
		}
		const extra: IDataObject = { awaitStatus: final ? 'completed' : 'timeout' };
		if (kind === 'training') {
			const trained = trainedVersion(job);
			extra.new_version = trained.id;
			extra.new_version_ref = trained.ref;
		}
		items.push(
			await jobToItem.call(this, job, { item: awaited[index].item }, {
				downloadFiles: downloadFiles && kind === 'prediction',
				binaryPrefix,
				outputSchema: kind === 'prediction' && final ? await schemaFor.call(this, job) : undefined,
				extra,
			}),
		);
	}
	return items;
}

/**
 * Outputs the jobs if they are all final; otherwise polls, or pauses the execution until the
 * webhook resumes it (see the module comment).
 */
export async function awaitJobs(
	this: IExecuteFunctions,
	kind: JobKind,
	awaited: AwaitedJob[],
	settings: AwaitSettings,
	known: Prediction[] = [],
): Promise<INodeExecutionData[][]> {
	const byId = new Map(known.map((job) => [job.id, job]));
	let jobs = await Promise.all(
		awaited.map(async ({ id }) => {
			const job = byId.get(id);
			return job && isTerminal(job.status) ? job : await getJob.call(this, kind, id);
		}),
	);
	const done = () => finishedItems.call(this, kind, awaited, jobs, settings.downloadFiles, settings.binaryPrefix);
	if (jobs.every((job) => isTerminal(job.status))) return [await done()];

	if (settings.mode === 'poll') {
		const deadline = Date.now() + settings.timeoutSeconds * 1000;
		jobs = (await pollUntilDone.call(this, kind, jobs, deadline, settings.pollIntervalSeconds * 1000)).jobs;
		return [await done()];
	}

	const state: AwaitState = { kind, jobs: awaited, downloadFiles: settings.downloadFiles, binaryPrefix: settings.binaryPrefix };
	// What a timer resume (the timeout) forwards: one item per input item, marked as timed out.
	// Elements are replaced, never mutated, so upstream nodes' recorded output stays untouched.
	const items = this.getInputData();
	for (let i = 0; i < items.length; i++) {
		const mine = awaited.filter((job) => job.item === i).map((job) => job.id);
		items[i] = {
			json: { awaitStatus: 'timeout', ids: mine, id: mine[0] ?? null, [STATE_KEY]: i === 0 ? (state as unknown as IDataObject) : null },
			pairedItem: { item: i },
		};
	}
	const waitTill = settings.timeoutSeconds > 0 ? new Date(Date.now() + settings.timeoutSeconds * 1000) : WAIT_INDEFINITELY;
	await this.putExecutionToWait(waitTill);
	return [items];
}

/** Handles a callback on the resume URL; resumes only when every awaited job is final. */
export async function resumeFromWebhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const state = this.evaluateExpression(`{{ $json.${STATE_KEY} }}`, 0) as unknown as AwaitState | null;
	if (!state || !Array.isArray(state.jobs)) {
		return { webhookResponse: { received: true, ignored: 'nothing awaited' } };
	}
	const body = this.getBodyData() as Partial<Prediction>;
	const ids = new Set(state.jobs.map((job) => job.id));
	if (typeof body.id === 'string' && (!ids.has(body.id) || (body.status && !isTerminal(body.status)))) {
		return { webhookResponse: { received: true, ignored: ids.has(body.id) ? 'not final' : 'not awaited' } };
	}
	const jobs = await Promise.all(state.jobs.map(async ({ id }) => await getJob.call(this, state.kind, id)));
	const pending = jobs.filter((job) => !isTerminal(job.status)).length;
	if (pending > 0) return { webhookResponse: { received: true, pending } };
	const items = await finishedItems.call(this, state.kind, state.jobs, jobs, state.downloadFiles, state.binaryPrefix);
	return { webhookResponse: { received: true, resumed: true }, workflowData: [items] };
}
