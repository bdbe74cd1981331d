/**
 * A uPlot time-series chart in a box of fixed height (no layout shift while data loads). The
 * figure is labelled for screen readers with its title and latest values.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
}

const COLORS = ["#1f6feb", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#0b7285", "#e67700", "#5c940d"];
export const CHART_HEIGHT = 180;

/** Tick steps for counts: whole numbers only. */
const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8];

export function Chart({
  title,
  x,
  series,
  format,
  summary,
  whole,
  empty = "No requests in this range.",
}: {
  title: string;
  x: number[];
  series: ChartSeries[];
  format: (v: number) => string;
  summary?: string;
  whole?: boolean;
  /** Shown in the chart's box when there is nothing to draw (x is empty). */
  empty?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || x.length === 0) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: CHART_HEIGHT,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{}, { values: (_u, vals) => vals.map((v) => format(v)), size: 70, ...(whole ? { incrs: WHOLE } : {}) }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: x.length < 40 },
          value: (_u: uPlot, v: number | null) => (v === null ? "—" : format(v)),
        })),
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: CHART_HEIGHT }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [x, series, format, whole]);
  return (
    <figure className="chart" aria-label={summary ? `${title}: ${summary}` : title}>
      <figcaption>{title}</figcaption>
      <div className="chart-box" ref={box} role="img" aria-label={`${title} over time`}>
        {x.length === 0 ? <p className="empty">{empty}</p> : null}
      </div>
    </figure>
  );
}
