/**
 * An instance of a version whose weights are in a remote store: `start` first gets a local copy
 * of the weights (downloaded once per host, storage/weights.ts), then boots the real instance on
 * it. The download is part of the instance's setup time, as it is part of a cold start.
 */
import type { InstanceSpec, ModelInstance, RunHandlers, RunResult } from './instance';

/** Where an instance's weights come from (the worker's WeightsStore). */
export interface LocalWeights {
  needsFetch(location: string): boolean;
  localPath(location: string): Promise<string>;
}

export class WeightsFirstInstance implements ModelInstance {
  private inner?: ModelInstance;
  private stopped = false;
  private readonly ownLogs: string[] = [];
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
    let local: string;
    try {
      local = await this.weights.localPath(this.spec.weights);
    } catch (err) {
      throw new Error(`cannot fetch the weights ${this.spec.weights}: ${(err as Error).message}`);
    }
    this.ownLogs.push(`weights ${this.spec.weights} at ${local} (${((Date.now() - began) / 1000).toFixed(2)}s)`);
    if (this.stopped) throw new Error('the instance was stopped while its weights were fetched');
    const fetchSeconds = (Date.now() - began) / 1000;
    this.inner = this.boot({ ...this.spec, weights: local });
    this.inner.onExit = (reason) => this.onExit(reason);
    return fetchSeconds + (await this.inner.start());
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
  }
}
