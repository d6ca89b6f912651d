/**
 * What a start has to undo, last step first. `serve` adds a step for each part as it starts it,
 * so the same list stops a running engine and cleans up after a start that failed half-way
 * (a taken port must not leave an embedded Postgres running).
 */
export class Teardown {
  private readonly steps: Array<() => unknown> = [];

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  /** Runs every step, newest first; a failing step is reported and the rest still run. */
  async run(onError: (err: Error) => void): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step();
      } catch (err) {
        onError(err as Error);
      }
    }
  }
}
