/**
 * What the worker needs from a running model instance, whatever runs it: a `node` predictor in a
 * child process (node-instance.ts), a Cog HTTP server (cog-instance.ts) or an OpenAI-compatible
 * server (openai-instance.ts). `specFor` turns a version's runner spec into the spec an instance
 * starts from; `startInstance` picks the class.
 */
import { CogInstance } from './cog-instance';
import { NodeInstance, type RunHandlers, type RunResult } from './node-instance';
import { OpenAIInstance } from './openai-instance';
import { resolveModule } from './resolve-module';
import { WeightsFirstInstance, type LocalWeights } from './weights-first';
import { urlWeightsDelivery, type WeightsDelivery } from './weights-delivery';
import type { ArtifactFetch } from '../core/boot-phases';
import { isWeightsUrl } from '../storage/weights-url';

export type { RunHandlers, RunResult, LocalWeights };

export interface ModelInstance {
  /**
   * Boots the instance and runs its setup; resolves with the model's setup time in seconds (as
   * the runner measures it: the predictor's setup, Cog's setup started_at → completed_at). The
   * caller times the whole boot; the rest is fetch and process start (boot-phases.ts).
   */
  start(): Promise<number>;
  /** How the version's artifacts got to this worker for this boot; absent when none were fetched. */
  readonly artifactFetch?: ArtifactFetch;
  run(id: string, mode: 'predict' | 'train', input: Record<string, unknown>, handlers: RunHandlers, outputDir?: string): Promise<RunResult>;
  /** Asks a run to stop; the run then rejects with a canceled RunError. */
  cancel(id: string): void;
  stop(): Promise<void>;
  /** Output printed while booting (shown on the instance and on runs that waited for it). */
  readonly setupLogs: string[];
  /** Called once when the instance dies on its own (crash), with a reason. */
  onExit: (reason: string) => void;
}

/** How to start an instance of a version, without the devices (the placement adds those). */
export type InstanceSpec =
  | { type: 'node'; module: string; weights?: string }
  | {
      type: 'cog';
      url?: string;
      command?: string;
      image?: string;
      weights?: string;
      /** A cached weights file the instance's receiver serves to a containerised server (weights-delivery.ts). */
      servedWeights?: string;
      mode?: 'async' | 'sync';
      webhookHost?: string;
      schemas?: Record<string, unknown>;
    }
  | { type: 'openai'; url?: string; command?: string; model: string; apiKey?: string; weights?: string };

/** What a version is, for starting its instances. */
export interface VersionRunner {
  runner: Record<string, unknown>;
  weights: string | null;
  openapi_schema: Record<string, unknown>;
}

/** What the worker gives every instance. */
export interface InstanceLimits {
  /** Largest output file a server may hand over (the engine's file size limit). */
  maxFileBytes?: number;
  /** Gets a version's weights onto this host before its instance boots (weights in a remote store). */
  weights?: LocalWeights;
}

/** The instance spec of a version's runner, or an error message when this worker cannot run it. */
export function specFor(version: VersionRunner): InstanceSpec | string {
  const { runner } = version;
  const w = version.weights ?? undefined;
  if (runner.type === 'node' && typeof runner.module === 'string') return { type: 'node', module: resolveModule(runner.module), weights: w };
  if (runner.type === 'cog' && (typeof runner.url === 'string' || typeof runner.command === 'string')) {
    const { url, command, image, mode, webhook_host: webhookHost } = runner as { url?: string; command?: string; image?: string; mode?: 'async' | 'sync'; webhook_host?: string };
    // The schemas tell where the outputs hold files (cog-files.ts).
    const schemas = (version.openapi_schema.components as { schemas?: Record<string, unknown> } | undefined)?.schemas;
    return { type: 'cog', url, command, image, weights: w, mode, webhookHost, schemas };
  }
  if (runner.type === 'openai' && typeof runner.model === 'string' && (typeof runner.url === 'string' || typeof runner.command === 'string')) {
    return { type: 'openai', url: runner.url as string | undefined, command: runner.command as string | undefined, model: runner.model, apiKey: runner.api_key as string | undefined, weights: w };
  }
  return `runner type "${String(runner.type)}" is not available on this worker`;
}

/**
 * How an instance of `spec` receives weights fetched to this worker first (weights-delivery.ts);
 * undefined when it boots on them where they are (none, a local path, a model name, a URL the
 * server reads itself). The prefetcher asks too, so it fetches only what a boot would.
 */
export function fetchedWeightsDelivery(spec: InstanceSpec, weights: Pick<LocalWeights, 'needsFetch'>): Exclude<WeightsDelivery, 'original'> | undefined {
  if (!spec.weights || !weights.needsFetch(spec.weights)) return undefined;
  const delivery = isWeightsUrl(spec.weights) ? urlWeightsDelivery(spec) : 'local-path';
  return delivery === 'original' ? undefined : delivery;
}

/**
 * An instance of `spec` on `gpus`; with `limits.weights`, remote weights (a store's, or an
 * http(s) URL's that the server would not fetch itself) are fetched to this host first.
 */
export function startInstance(spec: InstanceSpec, gpus: string, limits: InstanceLimits = {}): ModelInstance {
  const { weights } = limits;
  const delivery = weights ? fetchedWeightsDelivery(spec, weights) : undefined;
  if (weights && spec.weights && delivery) {
    const onHost = { ...limits, weights: undefined };
    return new WeightsFirstInstance({ ...spec, weights: spec.weights }, weights, (local) =>
      startInstance(delivery === 'served' && local.type === 'cog' ? { ...local, weights: undefined, servedWeights: local.weights } : local, gpus, onHost),
    );
  }
  if (spec.type === 'cog') return new CogInstance({ ...spec, gpus, maxUploadBytes: limits.maxFileBytes });
  if (spec.type === 'openai') return new OpenAIInstance({ ...spec, gpus });
  return new NodeInstance({ module: spec.module, weights: spec.weights, gpus });
}
