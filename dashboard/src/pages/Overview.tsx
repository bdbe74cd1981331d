/**
 * Overview: totals and charts over time (requests, spend, latency, error rate, prompt-cache
 * hits), optionally split by model, provider, team, key or user, with a table of each group's
 * totals over the range and the report as CSV. A tag filter applies to everything; a split by
 * tag or day gives the table and CSV only (the charts then show the totals).
 */
import { useMemo, useState, type FormEvent } from "react";
import { query } from "../api";
import { Chart } from "../components/Chart";
import { Breakdown } from "../components/Breakdown";
import { ErrorNote, Field, PageHeader, Select } from "../components/ui";
import { ms, num, pct, usd } from "../format";
import { useGet } from "../hooks";
import { buckets, columns, type Interval, type SeriesResponse } from "../series";

const RANGES: Record<string, { label: string; interval: Interval; hours: number }> = {
  "1h": { label: "Last hour (by minute)", interval: "minute", hours: 1 },
  "24h": { label: "Last 24 hours (by hour)", interval: "hour", hours: 24 },
  "7d": { label: "Last 7 days (by hour)", interval: "hour", hours: 168 },
  "30d": { label: "Last 30 days (by day)", interval: "day", hours: 720 },
};

/** The splits the charts draw; the others (tag, day) split the table and CSV only. */
const CHART_SPLITS = new Set(["model", "provider", "team", "key", "user"]);

interface Totals {
  data: Array<{ requests: number; attempts: number; errors: number; cost_usd: string; cached_tokens: number; prompt_tokens: number }>;
}

export function Overview() {
  const [range, setRange] = useState("24h");
  const [groupBy, setGroupBy] = useState("");
  const [tagDraft, setTagDraft] = useState("");
  const [tag, setTag] = useState("");
  const chartSplit = CHART_SPLITS.has(groupBy) ? groupBy : "";
  const [now, setNow] = useState(() => Date.now());
  const r = RANGES[range];
  const from = new Date(now - r.hours * 3600_000).toISOString();
  const to = new Date(Math.ceil(now / 60_000) * 60_000 + 60_000).toISOString();
  const series = useGet<SeriesResponse>(`/v1/usage/series${query({ interval: r.interval, from, to, group_by: chartSplit, tag })}`);
  const totals = useGet<Totals>(`/v1/usage${query({ from, to, tag })}`);
  const t = totals.data?.data[0];
  const charts = useMemo(() => {
    const s = series.data;
    if (!s) return null;
    // No request in the range: empty charts say so instead of drawing flat lines.
    const x = s.data.length === 0 ? [] : buckets(s);
    return {
      x,
      requests: columns(s, x, (p) => p.requests, 0),
      cost: columns(s, x, (p) => Number(p.cost_usd), 0),
      p50: columns(s, x, (p) => p.p50_ms, null),
      p95: columns(s, x, (p) => p.p95_ms, null),
      errors: columns(s, x, (p) => p.error_rate * 100, null),
      cache: columns(s, x, (p) => p.cache_hits, 0),
    };
  }, [series.data]);
  const latency = useMemo(() => {
    if (!charts) return [];
    if (chartSplit) return charts.p95.map((c) => ({ ...c, label: `${c.label} p95` }));
    return [...charts.p50.map((c) => ({ ...c, label: "p50" })), ...charts.p95.map((c) => ({ ...c, label: "p95" }))];
  }, [charts, chartSplit]);
  const applyTag = (e: FormEvent) => {
    e.preventDefault();
    setTag(tagDraft.trim());
  };
  const emptyText = series.data ? "No requests in this range." : series.error ? "Could not load the data." : "Loading…";
  return (
    <>
      <PageHeader title="Overview">
        <button type="button" onClick={() => setNow(Date.now())}>
          Refresh
        </button>
        <Select label="Range" value={range} onChange={(e) => setRange(e.target.value)} options={Object.entries(RANGES).map(([k, v]) => [k, v.label])} />
        <Select
          label="Split by"
          value={groupBy}
          onChange={(e) => setGroupBy(e.target.value)}
          options={[
            ["", "Nothing (totals)"],
            ["model", "Model"],
            ["provider", "Provider"],
            ["team", "Team"],
            ["key", "Key"],
            ["user", "User"],
            ["tag", "Tag (table only)"],
            ["day", "Day (table only)"],
          ]}
        />
        <form className="tag-filter" onSubmit={applyTag} aria-label="Only requests with a tag">
          <Field label="Tag" value={tagDraft} maxLength={64} onChange={(e) => setTagDraft(e.target.value)} />
          <button type="submit">Apply</button>
        </form>
        <a className="button secondary" href={`/v1/usage${query({ from, to, group_by: groupBy || undefined, tag, format: "csv" })}`} download="usage.csv">
          Download CSV
        </a>
      </PageHeader>
      <ErrorNote error={series.error ?? totals.error} />
      <section className="tiles" aria-label="Totals over the range">
        <Tile label="Requests" value={t ? num(t.requests) : "…"} />
        <Tile label="Spend" value={t ? usd(t.cost_usd) : "…"} />
        <Tile label="Error rate (attempts)" value={t ? pct(t.attempts ? t.errors / t.attempts : 0) : "…"} />
        <Tile label="Cached prompt tokens" value={t ? num(t.cached_tokens) : "…"} />
      </section>
      <div className="charts">
        <Chart title="Requests" whole x={charts?.x ?? []} series={charts?.requests ?? []} format={fmtCount} empty={emptyText} />
        <Chart title="Spend (USD)" x={charts?.x ?? []} series={charts?.cost ?? []} format={fmtUsd} empty={emptyText} />
        <Chart title={chartSplit ? "Latency p95" : "Latency p50 / p95"} x={charts?.x ?? []} series={latency} format={fmtMs} empty={emptyText} />
        <Chart title="Error rate (% of attempts)" x={charts?.x ?? []} series={charts?.errors ?? []} format={fmtPct} empty={emptyText} />
        <Chart title="Prompt-cache hits (attempts)" whole x={charts?.x ?? []} series={charts?.cache ?? []} format={fmtCount} empty={emptyText} />
      </div>
      {series.data && series.data.other_groups > 0 ? (
        <p className="hint">
          The charts show the {series.data.groups.length} groups with the most requests; {series.data.other_groups} more are left out.
        </p>
      ) : null}
      {tag ? (
        <p className="hint" data-testid="tag-scope">
          Only requests tagged <code>{tag}</code> count in the totals, the charts, the table and the CSV.
        </p>
      ) : null}
      {groupBy && groupBy !== chartSplit ? (
        <p className="hint" data-testid="split-scope">
          The split by {groupBy} is in the table and the CSV; the charts show the totals.
        </p>
      ) : null}
      {groupBy ? <Breakdown key={groupBy} groupBy={groupBy} from={from} to={to} tag={tag} /> : null}
    </>
  );
}

// Stable functions: a new one each render would redraw every chart.
const fmtCount = (v: number) => num(Math.round(v));
/** Axis ticks as short as they can be ("$0.005", not "$0.005000", which the axis would cut). */
const fmtUsd = (v: number) => (v === 0 || Math.abs(v) >= 0.01 ? usd(v) : `$${Number(v.toPrecision(3))}`);
const fmtMs = (v: number) => ms(v);
const fmtPct = (v: number) => `${v.toFixed(1)} %`;

function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div className="tile">
      <div className="tile-label">{label}</div>
      <div className="tile-value">{value}</div>
    </div>
  );
}
