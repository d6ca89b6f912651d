import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { isRetryable, toNodeError } from '../../../shared/errors';
import { cancelJob, createPrediction, pollUntilDone, type CreateOptions, type Target } from '../../../shared/jobs';
import type { Prediction } from '../../../shared/types';

export interface WaitSettings {
	timeoutSeconds: number;
	pollIntervalSeconds: number;
	retries: number;
	retryDelaySeconds: number;
}

/** A prediction that ended without success (failed, canceled, aborted) or did not end in time. */
export class PredictionFailure extends NodeOperationError {
	constructor(
		ctx: IExecuteFunctions,
		readonly prediction: Prediction,
		readonly timedOut: boolean,
		itemIndex: number,
	) {
		const logs = typeof prediction.logs === 'string' ? prediction.logs.trim().split('\n').slice(-10).join('\n') : '';
		super(
			ctx.getNode(),
			timedOut
				? `Prediction ${prediction.id} did not finish in time; a cancel request was sent`
				: `Prediction ${prediction.id} ${prediction.status}${prediction.error ? `: ${prediction.error}` : ''}`,
			{ itemIndex, description: logs ? `Last log lines:\n${logs}` : undefined },
		);
	}
}

/** Creates one prediction and waits: `Prefer: wait` first, then polling up to the timeout. */
export async function runOnce(
	this: IExecuteFunctions,
	target: Target,
	input: IDataObject,
	create: CreateOptions,
	settings: WaitSettings,
	itemIndex: number,
): Promise<Prediction> {
	const deadline = Date.now() + settings.timeoutSeconds * 1000;
	const created = await createPrediction.call(this, target, input, {
		...create,
		waitSeconds: Math.min(60, settings.timeoutSeconds),
	});
	const { jobs, timedOut } = await pollUntilDone.call(
		this,
		'prediction',
		[created],
		deadline,
		settings.pollIntervalSeconds * 1000,
	);
	let prediction = jobs[0];
	if (timedOut) {
		let cancelProblem: string | undefined;
		prediction = await cancelJob.call(this, 'prediction', prediction.id).catch((error: Error) => {
			cancelProblem = toNodeError(this.getNode(), error).message;
			return prediction;
		});
		const failure = new PredictionFailure(this, prediction, true, itemIndex);
		if (cancelProblem) failure.description = `The cancel request failed: ${cancelProblem}`;
		throw failure;
	}
	if (prediction.status !== 'succeeded') throw new PredictionFailure(this, prediction, false, itemIndex);
	return prediction;
}

/** Runs with retries (exponential backoff) on failed predictions and transient HTTP errors. */
export async function runWithRetries(
	this: IExecuteFunctions,
	target: Target,
	input: IDataObject,
	create: CreateOptions,
	settings: WaitSettings,
	itemIndex: number,
): Promise<{ prediction: Prediction; attempts: number }> {
	let attempt = 0;
	for (;;) {
		attempt++;
		try {
			return { prediction: await runOnce.call(this, target, input, create, settings, itemIndex), attempts: attempt };
		} catch (error) {
			const retryable =
				(error instanceof PredictionFailure && !error.timedOut && error.prediction.status !== 'canceled') ||
				(!(error instanceof PredictionFailure) && isRetryable(error));
			if (!retryable || attempt > settings.retries) throw toNodeError(this.getNode(), error, itemIndex);
			await sleep(settings.retryDelaySeconds * 1000 * 2 ** (attempt - 1));
		}
	}
}
