import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import { apiRequest, newIdempotencyKey, type ApiContext } from './transport';
import { isTerminal, jobPath, type JobKind, type Prediction, type VersionObject } from './types';
import { parseModelRef } from './refs';

/**
 * The version a succeeded training made, from its `output.version`: Replicate (and Gantry) send
 * `owner/name:id`; older Gantry engines sent the bare id. `id` is what a pinned version field
 * takes; `ref` what `owner/name:version` fields take (null when the output names no version).
 */
export function trainedVersion(job: Prediction): { id: string | null; ref: string | null } {
	const value = ((job.output ?? {}) as IDataObject).version;
	if (typeof value !== 'string' || !value) return { id: null, ref: null };
	const colon = value.lastIndexOf(':');
	if (colon < 0) return { id: value, ref: null };
	return { id: value.slice(colon + 1), ref: value };
}

/** Where a prediction is created: a version, an official model's endpoint, or a deployment. */
export interface Target {
	path: string;
	version?: string;
	label: string;
	versionObject?: VersionObject;
}

export async function getLatestVersion(this: ApiContext, owner: string, name: string): Promise<VersionObject | undefined> {
	const model = await apiRequest.call(this, 'GET', `/models/${owner}/${name}`);
	return (model.latest_version as VersionObject | null) ?? undefined;
}

export async function getVersion(this: ApiContext, owner: string, name: string, id: string): Promise<VersionObject> {
	return (await apiRequest.call(this, 'GET', `/models/${owner}/${name}/versions/${id}`)) as unknown as VersionObject;
}

/** A model reference (owner/name[:version]) becomes a create target, latest version by default. */
export async function modelTarget(this: ApiContext, ref: string, pinned?: string): Promise<Target> {
	const { owner, name, version } = parseModelRef(ref);
	const id = pinned || version;
	if (id) {
		const versionObject = await getVersion.call(this, owner, name, id);
		return { path: '/predictions', version: id, label: `${owner}/${name}:${id}`, versionObject };
	}
	const latest = await getLatestVersion.call(this, owner, name);
	if (latest?.id) {
		return { path: '/predictions', version: latest.id, label: `${owner}/${name}`, versionObject: latest };
	}
	// Official models without visible versions run through the model endpoint.
	return { path: `/models/${owner}/${name}/predictions`, label: `${owner}/${name}` };
}

export async function deploymentTarget(this: ApiContext, ref: string): Promise<Target> {
	const { owner, name } = parseModelRef(ref);
	const deployment = await apiRequest.call(this, 'GET', `/deployments/${owner}/${name}`);
	const release = (deployment.current_release ?? {}) as IDataObject;
	let versionObject: VersionObject | undefined;
	if (typeof release.model === 'string' && typeof release.version === 'string') {
		const model = parseModelRef(release.model);
		versionObject = await getVersion.call(this, model.owner, model.name, release.version).catch(() => undefined);
	}
	return { path: `/deployments/${owner}/${name}/predictions`, label: `deployment ${owner}/${name}`, versionObject };
}

export interface CreateOptions {
	waitSeconds?: number;
	cancelAfter?: string;
	webhook?: string;
	webhookEvents?: string[];
	tags?: Record<string, string>;
}

export async function createPrediction(
	this: ApiContext,
	target: Target,
	input: IDataObject,
	options: CreateOptions,
): Promise<Prediction> {
	const body: IDataObject = { input };
	if (target.version) body.version = target.version;
	if (options.webhook) {
		body.webhook = options.webhook;
		if (options.webhookEvents?.length) body.webhook_events_filter = options.webhookEvents;
	}
	if (options.tags && Object.keys(options.tags).length > 0) body.tags = options.tags;
	const headers: IDataObject = {};
	if (options.waitSeconds && options.waitSeconds > 0) {
		headers.Prefer = `wait=${Math.min(60, Math.max(1, Math.floor(options.waitSeconds)))}`;
	}
	if (options.cancelAfter) headers['Cancel-After'] = options.cancelAfter;
	// One key per create: a resend after a lost answer gets this prediction, not a second one.
	return (await apiRequest.call(this, 'POST', target.path, { body, headers, idempotencyKey: newIdempotencyKey.call(this) })) as unknown as Prediction;
}

export async function getJob(this: ApiContext, kind: JobKind, id: string): Promise<Prediction> {
	return (await apiRequest.call(this, 'GET', `${jobPath(kind)}/${encodeURIComponent(id)}`)) as unknown as Prediction;
}

export async function cancelJob(this: ApiContext, kind: JobKind, id: string): Promise<Prediction> {
	return (await apiRequest.call(this, 'POST', `${jobPath(kind)}/${encodeURIComponent(id)}/cancel`)) as unknown as Prediction;
}

function cancelled(ctx: ApiContext): boolean {
	const signal = (ctx as IExecuteFunctions).getExecutionCancelSignal?.();
	return signal?.aborted === true;
}

/**
 * Polls until every job is terminal or the deadline passes, sleeping with n8n-workflow's `sleep`
 * (no timers of our own) and stopping early when the execution is cancelled.
 */
export async function pollUntilDone(
	this: ApiContext,
	kind: JobKind,
	jobs: Prediction[],
	deadline: number,
	intervalMs: number,
): Promise<{ jobs: Prediction[]; timedOut: boolean }> {
	let current = jobs;
	for (;;) {
		const pending = current.filter((job) => !isTerminal(job.status));
		if (pending.length === 0) return { jobs: current, timedOut: false };
		if (Date.now() >= deadline || cancelled(this)) return { jobs: current, timedOut: true };
		await sleep(Math.max(50, Math.min(intervalMs, deadline - Date.now())));
		current = await Promise.all(
			current.map(async (job) => (isTerminal(job.status) ? job : await getJob.call(this, kind, job.id))),
		);
	}
}
