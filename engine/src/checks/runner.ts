/**
 * Drives checks: makes each planned run through the engine's own create path (a real prediction,
 * tagged `gantry_check: <id>`), waits for it, and ends the check with its report.
 *
 * Durable: the plan and every run made are rows, so a runner that dies leaves a check another
 * runner (or the same engine after a restart) resumes when the lease runs out: runs already made
 * are waited for, not made again; a run whose prediction the restart interrupted is made again
 * once; a run whose prediction row never got written is submitted again under the same id. A
 * check never stays `processing` without a runner for longer than its lease.
 */
import { ApiError } from '../core/errors';
import { engineFileId } from '../core/file-urls';
import { newId } from '../core/ids';
import { isTerminal, type PredictionRow } from '../core/prediction';
import type { ApiContext } from '../api/context';
import { submitPrediction } from '../api/create-prediction';
import { cancelPrediction } from '../api/cancel';
import { getVersion } from '../store/catalog';
import { getPrediction } from '../store/predictions';
import { getDeployment } from '../store/deployments';
import { getToken } from '../store/tokens';
import {
  appendCheckLogs,
  claimCheck,
  fileHashes,
  getCheck,
  insertCheckRun,
  listCheckRuns,
  liveInstanceCount,
  markCheckProcessing,
  recordRunOutput,
  markRunRefused,
  releaseCheck,
  renewCheckLease,
  saveObservations,
  type CheckRow,
  type CheckRunRow,
} from '../store/checks';
import { checkProgress } from './assemble';
import { emitCheckEvent } from './events';
import { latestAttempts, wasInterrupted } from './facts';
import { endCheck } from './finish';
import { outputDigest, outputText, withFileHashes } from './similarity';
import type { CheckPlan, PlannedRun } from './types';
import { checkWire } from './wire';

/** A run whose prediction an engine restart interrupted is made again, this many times in all. */
const MAX_ATTEMPTS = 3;
/** Failures while driving one check before it ends `failed`. */
const MAX_RUNNER_FAILURES = 3;
/** Longest text kept per run for the similarity figure. */
const MAX_TEXT = 20_000;
/** Tags on every prediction a check makes. */
export const CHECK_TAG = 'gantry_check';
export const CHECK_RUN_TAG = 'gantry_check_run';

export interface CheckRunnerOptions {
  log: (msg: string) => void;
  /** How long a claimed check stays this runner's without a renewal. */
  leaseSeconds?: number;
  /** How often open checks nobody holds are looked for. */
  sweepMs?: number;
}

/** Open and not being canceled: the runner may make runs for it. */
const isActive = (c: CheckRow | undefined) => (c?.status === 'starting' || c?.status === 'processing') && !c.cancel_requested_at;

export class CheckRunner {
  readonly id = `runner_${newId()}`;
  private readonly leaseSeconds: number;
  private readonly active = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  private stopped = false;

  constructor(
    private readonly ctx: ApiContext,
    private readonly opts: CheckRunnerOptions,
  ) {
    this.leaseSeconds = opts.leaseSeconds ?? 15;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.sweepMs ?? 2000);
    this.timer.unref();
    this.kick();
  }

  /** Look for checks to run now (a new check calls this so it starts at once). */
  kick(): void {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    void this.sweep()
      .catch((err: Error) => this.opts.log(`checks: ${err.message}`))
      .finally(() => (this.sweeping = false));
  }

  private async sweep(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const check = await claimCheck(this.ctx.db, this.id, this.leaseSeconds);
      if (!check) return;
      const abort = new AbortController();
      const done = this.drive(check, abort.signal).finally(() => this.active.delete(check.id));
      this.active.set(check.id, { abort, done });
    }
  }

  /** Stops driving; open checks are released so the next engine resumes them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const running = [...this.active.entries()];
    for (const [, a] of running) a.abort.abort();
    await Promise.allSettled(running.map(([, a]) => a.done));
    for (const [id] of running) await releaseCheck(this.ctx.db, id, this.id).catch(() => undefined);
  }

  private async drive(check: CheckRow, signal: AbortSignal): Promise<void> {
    const renew = setInterval(() => {
      void renewCheckLease(this.ctx.db, check.id, this.id, this.leaseSeconds)
        .then((held) => held || this.active.get(check.id)?.abort.abort())
        .catch(() => undefined);
    }, (this.leaseSeconds * 1000) / 3);
    try {
      const started = await markCheckProcessing(this.ctx.db, check.id);
      if (started) await this.emit(started, 'start');
      const plan = check.plan as unknown as CheckPlan;
      for (const planned of plan.runs) {
        if (signal.aborted || !isActive(await getCheck(this.ctx.db, check.id))) return;
        await this.ensureRun(check, planned, signal);
      }
      if (!signal.aborted) await endCheck(this.ctx, check.id, { status: 'succeeded' });
    } catch (err) {
      if (signal.aborted) return;
      this.opts.log(`check ${check.id}: ${(err as Error).stack ?? err}`);
      await this.onError(check, err as Error).catch(() => undefined);
    } finally {
      clearInterval(renew);
    }
  }

  /**
   * A failure while driving (the database went away, a bug): the check is released and resumed
   * by the next sweep, which survives a passing outage; the third failure ends it `failed`, so a
   * lasting fault cannot keep it open.
   */
  private async onError(check: CheckRow, err: Error): Promise<void> {
    const current = await getCheck(this.ctx.db, check.id);
    const failures = Number((current?.observations as { runner_failures?: number } | undefined)?.runner_failures ?? 0) + 1;
    if (failures < MAX_RUNNER_FAILURES) {
      await saveObservations(this.ctx.db, check.id, { runner_failures: failures, last_runner_error: err.message });
      await releaseCheck(this.ctx.db, check.id, this.id);
      return;
    }
    await endCheck(this.ctx, check.id, { status: 'failed', error: `internal error: ${err.message}` });
  }

  /** Makes (or resumes) one planned run until its prediction is final or it is not needed. */
  private async ensureRun(check: CheckRow, planned: PlannedRun, signal: AbortSignal): Promise<void> {
    for (;;) {
      const latest = latestAttempts(await listCheckRuns(this.ctx.db, check.id));
      if (planned.only_if_failed) {
        const ref = latest.get(planned.only_if_failed);
        const refPrediction = ref?.prediction_id ? await getPrediction(this.ctx.db, ref.prediction_id) : undefined;
        if (!latest.has(planned.key) && refPrediction?.status === 'succeeded') return;
      }
      const run = latest.get(planned.key);
      if (!run) {
        await this.makeRun(check, planned, 1);
        continue;
      }
      if (run.refused) return;
      const prediction = await this.waitFor(run, check, planned, signal);
      if (!prediction) return;
      if (wasInterrupted(prediction) && run.attempt < MAX_ATTEMPTS) {
        await this.log(check, `${planned.key}: prediction ${prediction.id} was interrupted (${prediction.error}); making it again\n`);
        await this.makeRun(check, planned, run.attempt + 1);
        continue;
      }
      if (prediction.status === 'succeeded' && run.output_digest === null) await this.recordOutput(run, prediction);
      const cost = (prediction.cost as { total_usd?: number } | null)?.total_usd ?? 0;
      await this.log(check, `${planned.key}: ${prediction.id} ${prediction.status}${prediction.error ? ` (${prediction.error})` : ''}, ${prediction.metrics.predict_time ?? 0} s, $${cost}\n`);
      return;
    }
  }

  /** Creates the prediction for an attempt; a refused create is recorded as the run's outcome. */
  private async makeRun(check: CheckRow, planned: PlannedRun, attempt: number, id = newId()): Promise<void> {
    if (planned.key === 'consistency.1' && attempt === 1) await this.observeWarmth(check, planned);
    // The run row first: a crash between the two leaves a row whose prediction is submitted again.
    await insertCheckRun(this.ctx.db, { checkId: check.id, key: planned.key, attempt, predictionId: id, refused: null });
    await this.submit(check, planned, attempt, id);
  }

  private async submit(check: CheckRow, planned: PlannedRun, attempt: number, id: string): Promise<void> {
    const version = await getVersion(this.ctx.db, planned.version);
    let refused: string | undefined;
    if (!version) refused = `version ${planned.version} no longer exists`;
    else {
      // The check's token makes every run, so its spend limits apply to each (a run past one is refused: 402).
      const token = check.token_id ? await getToken(this.ctx.db, check.token_id) : undefined;
      try {
        await submitPrediction(
          this.ctx,
          {
            kind: 'prediction',
            version,
            deployment: planned.deployment,
            hardware: planned.hardware,
            fields: { input: planned.input, webhook: null, filter: null, tags: { [CHECK_TAG]: check.id, [CHECK_RUN_TAG]: planned.key } },
          },
          { tokenId: check.token_id, token, cancelAfterSeconds: planned.cancel_after_s, id },
        );
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        refused = `${err.status} ${err.detail}`;
      }
    }
    if (refused !== undefined) {
      await markRunRefused(this.ctx.db, { checkId: check.id, key: planned.key, attempt }, refused);
      await this.log(check, `${planned.key}: the create was refused: ${refused}\n`);
      return;
    }
    // Canceled meanwhile: the cancel may have listed the check's predictions before this one existed.
    if (!isActive(await getCheck(this.ctx.db, check.id))) await cancelPrediction(this.ctx, id, 'prediction').catch(() => undefined);
  }

  /** Whether the first run can be a cold start: the version has no instance up, or it has. */
  private async observeWarmth(check: CheckRow, planned: PlannedRun): Promise<void> {
    const warm = await liveInstanceCount(this.ctx.db, planned.version, planned.deployment, planned.hardware, this.ctx.workerStaleSeconds);
    const observations: Record<string, unknown> = { warm_instances_before: warm };
    if (planned.deployment) {
      const [owner, name] = planned.deployment.split('/');
      observations.deployment_min_instances = (await getDeployment(this.ctx.db, owner, name))?.min_instances ?? null;
    }
    await saveObservations(this.ctx.db, check.id, observations);
  }

  /** Waits until the run's prediction is final; undefined when the runner was stopped first. */
  private async waitFor(run: CheckRunRow, check: CheckRow, planned: PlannedRun, signal: AbortSignal): Promise<PredictionRow | undefined> {
    const id = run.prediction_id!;
    for (;;) {
      if (signal.aborted) return undefined;
      const waiting = this.ctx.waiter.untilCompleted(id, 10, async () => isTerminal((await getPrediction(this.ctx.db, id))?.status ?? 'starting'));
      const onAbort = () => waiting.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      const row = await getPrediction(this.ctx.db, id);
      if (!row) {
        waiting.cancel();
        signal.removeEventListener('abort', onAbort);
        await this.submit(check, planned, run.attempt, id);
        const made = await getPrediction(this.ctx.db, id);
        if (!made) return undefined;
        continue;
      }
      if (isTerminal(row.status)) {
        waiting.cancel();
        signal.removeEventListener('abort', onAbort);
        return row;
      }
      const finished = await waiting.done;
      signal.removeEventListener('abort', onAbort);
      if (finished && isTerminal(finished.status)) return finished;
    }
  }

  /** The output's digest (file outputs by content hash), text and file hashes, kept with the run. */
  private async recordOutput(run: CheckRunRow, prediction: PredictionRow): Promise<void> {
    const urls: string[] = [];
    withFileHashes(prediction.output, (url) => {
      if (engineFileId(url, this.ctx.publicUrl)) urls.push(url);
      return undefined;
    });
    const hashes = await fileHashes(this.ctx.db, urls.map((u) => engineFileId(u, this.ctx.publicUrl)!));
    const hashOf = (url: string) => {
      const fid = engineFileId(url, this.ctx.publicUrl);
      return fid ? hashes.get(fid) : undefined;
    };
    const normalised = withFileHashes(prediction.output, hashOf);
    // File outputs compare by content hash; their URLs differ on every run.
    const text = urls.length ? null : outputText(prediction.output);
    await recordRunOutput(this.ctx.db, {
      checkId: run.check_id,
      key: run.run_key,
      attempt: run.attempt,
      digest: outputDigest(normalised),
      text: text === null ? null : text.slice(0, MAX_TEXT),
      fileHashes: urls.map(hashOf).filter((h): h is string => !!h),
    });
  }

  private async log(check: CheckRow, text: string): Promise<void> {
    const row = await appendCheckLogs(this.ctx.db, check.id, text);
    if (row) await this.emit(row, 'logs');
  }

  private async emit(row: CheckRow, event: 'start' | 'logs'): Promise<void> {
    if (!row.webhook) return;
    const progress = (await checkProgress(this.ctx, [row])).get(row.id)!;
    await emitCheckEvent(this.ctx.db, row, event, checkWire(row, progress, this.ctx.publicUrl)).catch((err: Error) => this.opts.log(`checks: webhook: ${err.message}`));
  }
}
