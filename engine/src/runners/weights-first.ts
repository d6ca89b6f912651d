/**
 * An instance of a version whose weights are in a remote store: `start` first gets a local copy
 * of the weights (downloaded once per host, storage/weights.ts), then boots the real instance on
 * it. The fetch is the first phase of the cold start (`artifactFetch`: how long, from which cache
 * tier, how many bytes from the store); the copy stays pinned in the worker's cache until the
 * instance stops.
 */
import type { ArtifactFetch } from '../core/boot-phases';
import { describeWeights } from '../storage/weights-url';
import type { InstanceSpec, ModelInstance, RunHandlers, RunResult } from './instance';

/** Where an instance's weights come from (the worker's WeightsStore). */
export interface LocalWeights {
  needsFetch(location: string): boolean;
  acquire(location: string): Promise<{ path: string; outcome: ArtifactFetch['outcome']; fetchedBytes: number; release(): void }>;
}

export class WeightsFirstInstance implements ModelInstance {
  private inner?: ModelInstance;
  private stopped = false;
  private readonly ownLogs: string[] = [];
  private release?: () => void;
  artifactFetch?: ArtifactFetch;
  onExit: (reason: string) => void = () => undefined;

  constructor(
    private readonly spec: InstanceSpec & { weights: string },
    private readonly weights: LocalWeights,
    /** Starts the real instance on the local copy. */
    private readonly boot: (spec: InstanceSpec) => ModelInstance,
  ) {}

  get setupLogs(): string[] {
    return [...this.ownLogs, ...(this.inner?.setupLogs ?? [])];
  }

  async start(): Promise<number> {
    const began = Date.now();
    // A URL's userinfo (credentials) never reaches a log or an error.
    const shown = describeWeights(this.spec.weights);
    let got: Awaited<ReturnType<LocalWeights['acquire']>>;
    try {
      got = await this.weights.acquire(this.spec.weights);
    } catch (err) {
      throw new Error(`cannot fetch the weights ${shown}: ${(err as Error).message}`);
    }
    this.release = got.release;
    const seconds = (Date.now() - began) / 1000;
    this.artifactFetch = { seconds, outcome: got.outcome, fetchedBytes: got.fetchedBytes };
    this.ownLogs.push(`weights ${shown} at ${got.path} (${got.outcome === 'miss' ? `fetched ${got.fetchedBytes} bytes` : `${got.outcome} cache hit`}, ${seconds.toFixed(2)}s)`);
    if (this.stopped) {
      this.release();
      throw new Error('the instance was stopped while its weights were fetched');
    }
    this.inner = this.boot({ ...this.spec, weights: got.path });
    this.inner.onExit = (reason) => {
      this.release?.();
      this.onExit(reason);
    };
    try {
      return await this.inner.start();
    } catch (err) {
      this.release();
      throw err;
    }
  }

  run(id: string, mode: 'predict' | 'train', input: Record<string, unknown>, handlers: RunHandlers, outputDir?: string): Promise<RunResult> {
    if (!this.inner) return Promise.reject(new Error('the instance is not started'));
    return this.inner.run(id, mode, input, handlers, outputDir);
  }

  cancel(id: string): void {
    this.inner?.cancel(id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.inner?.stop();
    this.release?.();
  }
}
