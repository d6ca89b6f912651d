/**
 * The hybrid histogram policy of "Serverless in the Wild" (Shahrad et al., ATC '20), as a
 * baseline, per model:
 * - a histogram of idle times (here: arrival gaps) in 1-minute bins up to 4 h;
 * - representative (≥ MIN_SAMPLES gaps and the bins' coefficient of variation ≥ 2): pre-warm
 *   window = 5th percentile × 0.9, keep-alive window = 99th percentile × 1.1 − pre-warm. After
 *   the model goes idle its instance is unloaded at once when the pre-warm window is > 0,
 *   loaded again when it ends, and kept until the keep-alive window ends;
 * - not representative: the standard keep-alive, pre-warm 0 and keep-alive = the histogram's
 *   range (4 h);
 * - out of bounds (most gaps over 4 h): the paper forecasts the next idle time with ARIMA; here
 *   the mean of the last OOB_RECENT long gaps stands in for that forecast, with the paper's
 *   margins (pre-warm 85 % of it, keep-alive 30 %).
 */
const BIN_S = 60;
const BINS = 240;
const MIN_SAMPLES = 10;
const OOB_RECENT = 5;

export interface HybridWindows {
  prewarmS: number;
  keepAliveS: number;
}

export class IdleHistogram {
  private readonly bins = new Array<number>(BINS).fill(0);
  private inBounds = 0;
  private readonly outOfBounds: number[] = [];

  record(gapS: number): void {
    const bin = Math.floor(gapS / BIN_S);
    if (bin >= BINS) this.outOfBounds.push(gapS);
    else {
      this.bins[bin]++;
      this.inBounds++;
    }
  }

  windows(): HybridWindows {
    const total = this.inBounds + this.outOfBounds.length;
    if (total >= MIN_SAMPLES && this.outOfBounds.length > this.inBounds) {
      const recent = this.outOfBounds.slice(-OOB_RECENT);
      const predicted = recent.reduce((a, b) => a + b, 0) / recent.length;
      return { prewarmS: 0.85 * predicted, keepAliveS: 0.3 * predicted };
    }
    if (this.inBounds < MIN_SAMPLES || this.cv() < 2) return { prewarmS: 0, keepAliveS: BINS * BIN_S };
    const prewarmS = this.percentile(0.05, 'lower') * 0.9;
    return { prewarmS, keepAliveS: Math.max(BIN_S, this.percentile(0.99, 'upper') * 1.1 - prewarmS) };
  }

  /** An edge (s) of the bin where the cumulative share reaches q: the lower for the head, the upper for the tail (conservative both ways). */
  private percentile(q: number, edge: 'lower' | 'upper'): number {
    let cum = 0;
    for (let i = 0; i < BINS; i++) {
      cum += this.bins[i];
      if (cum >= q * this.inBounds) return (edge === 'lower' ? i : i + 1) * BIN_S;
    }
    return BINS * BIN_S;
  }

  private cv(): number {
    const mean = this.inBounds / BINS;
    const variance = this.bins.reduce((s, c) => s + (c - mean) ** 2, 0) / BINS;
    return mean > 0 ? Math.sqrt(variance) / mean : 0;
  }
}
