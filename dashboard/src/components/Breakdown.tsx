/** Each group's totals over the overview's range (GET /v1/usage?group_by=…), most requests first (days in order). */
import { useMemo } from "react";
import { query } from "../api";
import { num, pct, usd } from "../format";
import { useGet } from "../hooks";
import { Table } from "./Table";
import { ErrorNote } from "./ui";

interface Row {
  user_id?: string | null;
  key_id?: string | null;
  team_id?: string | null;
  model?: string | null;
  provider?: string | null;
  tag?: string | null;
  day?: string;
  requests: number;
  attempts: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cost_usd: string;
}

const FIELD: Record<string, { header: string; field: keyof Row }> = {
  model: { header: "Model", field: "model" },
  provider: { header: "Provider", field: "provider" },
  team: { header: "Team", field: "team_id" },
  key: { header: "Key", field: "key_id" },
  user: { header: "User", field: "user_id" },
  tag: { header: "Tag", field: "tag" },
  day: { header: "Day", field: "day" },
};

/** Days in order; other groups by most requests, then most spend. */
const order = (groupBy: string) => (a: Row, b: Row) => (groupBy === "day" ? (a.day ?? "").localeCompare(b.day ?? "") : b.requests - a.requests || Number(b.cost_usd) - Number(a.cost_usd));

/** The most rows the table shows; the CSV has them all. */
export const BREAKDOWN_ROWS = 50;

export function Breakdown({ groupBy, from, to, tag }: { groupBy: string; from: string; to: string; tag: string }) {
  const report = useGet<{ data: Row[] }>(`/v1/usage${query({ from, to, group_by: groupBy, tag })}`);
  const f = FIELD[groupBy];
  const rows = useMemo(() => [...(report.data?.data ?? [])].sort(order(groupBy)), [report.data, groupBy]);
  const name = (r: Row) => (r[f.field] as string | null | undefined) ?? "(none)";
  return (
    <section aria-labelledby="breakdown-title">
      <h2 id="breakdown-title">By {f.header.toLowerCase()}</h2>
      <ErrorNote error={report.error} />
      <Table
        caption={`Totals by ${f.header.toLowerCase()} over the range`}
        rows={rows.slice(0, BREAKDOWN_ROWS)}
        rowKey={name}
        empty={report.loading ? "Loading…" : "No requests in this range."}
        columns={[
          { header: f.header, cell: (r) => <code>{name(r)}</code> },
          { header: "Requests", cell: (r) => num(r.requests), className: "num" },
          { header: "Error rate (attempts)", cell: (r) => pct(r.attempts ? r.errors / r.attempts : 0), className: "num" },
          { header: "Tokens in / out", cell: (r) => `${num(r.prompt_tokens)} / ${num(r.completion_tokens)}`, className: "num" },
          { header: "Cached prompt tokens", cell: (r) => num(r.cached_tokens), className: "num" },
          { header: "Spend", cell: (r) => usd(r.cost_usd), className: "num" },
        ]}
      />
      {rows.length > BREAKDOWN_ROWS ? (
        <p className="hint">{groupBy === "day" ? `The first ${BREAKDOWN_ROWS} days of ${rows.length}` : `The ${BREAKDOWN_ROWS} with the most requests of ${rows.length}`}; the CSV has every one.</p>
      ) : null}
    </section>
  );
}
