/**
 * Cost per day as stacked bars (uPlot, drawn on a canvas). Each series is drawn at its running
 * total, the tallest first, so the lower ones cover it: that is the stack. The legend and the
 * numbers are plain HTML beside it (the canvas is not readable by assistive technology). uPlot
 * is loaded when the first chart is drawn, so other pages never download it; its stylesheet is in
 * the main one (main.tsx).
 */
import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
import { cumulative, type Series } from '../lib/stack';
import { usd } from '../lib/format';

export const PALETTE = ['#2563eb', '#db2777', '#16a34a', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#64748b'];

interface Props {
  days: string[];
  series: Series[];
  height?: number;
  label: string;
}

export function StackedBars({ days, series, height = 260, label }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let cancelled = false;
    let cleanup = () => undefined as void;
    void import('uplot').then(({ default: UPlot }) => {
      if (!cancelled) cleanup = draw(UPlot);
    });
    return () => {
      cancelled = true;
      cleanup();
    };
  }, [days.join(), JSON.stringify(series), height]);

  function draw(UPlot: typeof uPlot): () => void {
    const el = box.current;
    if (!el) return () => undefined;
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const stacked = cumulative(series);
    // Tallest (the running total of all) first; uPlot draws series in order.
    const order = series.map((_, i) => i).reverse();
    const bars = UPlot.paths.bars!({ size: [0.7, 48], align: 0 });
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      // Days are UTC days (as the API counts them); half a day of room either side for the end bars.
      tzDate: (ts) => UPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: {
        x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 0.01] },
      },
      axes: [
        { space: 60 },
        {
          values: (_u, ticks) => ticks.map((t) => usd(t)),
          // Wide enough for the longest label (small amounts have many digits).
          size: (_u, values) => 16 + 7.5 * Math.max(4, ...(values ?? []).map((v) => String(v).length)),
        },
      ],
      series: [
        { value: (_u, v) => (v ? new Date(v * 1000).toISOString().slice(0, 10) : '') },
        ...order.map((i) => ({
          label: String(series[i].key ?? '(none)'),
          fill: PALETTE[i % PALETTE.length],
          stroke: PALETTE[i % PALETTE.length],
          width: 0,
          paths: bars,
          points: { show: false },
        })),
      ],
    };
    const chart = new UPlot(opts, [xs, ...order.map((i) => stacked[i])] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }
  return <div ref={box} class="chart" role="img" aria-label={label} data-testid="usage-chart" />;
}
