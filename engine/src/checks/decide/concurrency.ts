/** Concurrency of runs from their [start, end] intervals. Pure. */

/** The most intervals open at one instant; an interval ending when another starts does not overlap it. */
export function peakConcurrency(intervals: Array<[number, number]>): number {
  const events: Array<[number, number]> = [];
  for (const [start, end] of intervals) {
    if (!(end > start)) continue;
    events.push([start, 1], [end, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of events) {
    open += delta;
    peak = Math.max(peak, open);
  }
  return peak;
}

/** Intervals cut to the period [since, until] (seconds); those wholly outside are dropped. */
export function clip(intervals: Array<[number, number]>, since: number, until: number): Array<[number, number]> {
  return intervals.map(([s, e]) => [Math.max(s, since), Math.min(e, until)] as [number, number]).filter(([s, e]) => e > s);
}
