/** A request's receipt: routing, every attempt, the cost breakdown and timings. */
import type { ReactNode } from "react";
import { Table } from "../components/Table";
import { Badge, ErrorNote, PageHeader } from "../components/ui";
import { ms, num, usd, when } from "../format";
import { useGet } from "../hooks";
import { Link } from "../router";

interface Cost {
  input_usd: string;
  cached_input_usd: string;
  cache_write_usd: string;
  output_usd: string;
  total_usd: string;
}

interface Attempt {
  attempt: number;
  provider: string;
  model: string;
  status: number;
  error_code: string | null;
  error_message: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cost: Cost;
  price_version: string | null;
  total_ms: number;
  ttft_ms: number | null;
}

interface ReceiptObject {
  request_id: string;
  created_at: string;
  endpoint: string;
  requested_model: string;
  status: number;
  routing: Record<string, unknown> | null;
  attempts: Attempt[];
  cost: Cost;
  timings: { total_ms: number; ttft_ms: number | null; overhead_ms: number };
  warnings: unknown[];
  key_id: string | null;
  user_id: string | null;
  team_id: string | null;
}

export function Receipt({ id }: { id: string }) {
  const r = useGet<ReceiptObject>(`/v1/logs/${encodeURIComponent(id)}`);
  const d = r.data;
  return (
    <>
      <PageHeader title={`Receipt ${id}`}>
        <Link to="/logs">Back to logs</Link>
      </PageHeader>
      <ErrorNote error={r.error} />
      {d ? (
        <>
          <dl className="facts">
            <Fact k="Time" v={when(d.created_at)} />
            <Fact k="Endpoint" v={d.endpoint} />
            <Fact k="Model requested" v={d.requested_model} />
            <Fact k="Status" v={<Badge tone={d.status < 400 ? "ok" : "bad"}>{d.status}</Badge>} />
            <Fact k="Key / user / team" v={[d.key_id ?? "master", d.user_id ?? "—", d.team_id ?? "—"].join(" / ")} />
            <Fact k="Total / TTFT / overhead" v={`${ms(d.timings.total_ms)} / ${ms(d.timings.ttft_ms)} / ${ms(d.timings.overhead_ms)}`} />
          </dl>
          <h2>Cost</h2>
          <dl className="facts" aria-label="Cost breakdown">
            <Fact k="Input" v={usd(d.cost.input_usd)} />
            <Fact k="Cached input" v={usd(d.cost.cached_input_usd)} />
            <Fact k="Cache writes" v={usd(d.cost.cache_write_usd)} />
            <Fact k="Output" v={usd(d.cost.output_usd)} />
            <Fact k="Total" v={<strong data-testid="receipt-total">{usd(d.cost.total_usd)}</strong>} />
          </dl>
          <h2>Routing</h2>
          <pre className="json">{JSON.stringify(d.routing, null, 2)}</pre>
          <h2>Attempts</h2>
          <Table
            caption="Upstream attempts"
            rows={d.attempts}
            rowKey={(a) => String(a.attempt)}
            columns={[
              { header: "#", cell: (a) => a.attempt },
              { header: "Deployment", cell: (a) => `${a.provider}:${a.model}` },
              { header: "Status", cell: (a) => <Badge tone={a.status < 400 ? "ok" : "bad"}>{a.status}</Badge> },
              { header: "Error", cell: (a) => (a.error_code ? `${a.error_code}: ${a.error_message ?? ""}` : "—") },
              { header: "Tokens in / out / cached", cell: (a) => `${num(a.prompt_tokens)} / ${num(a.completion_tokens)} / ${num(a.cached_tokens)}`, className: "num" },
              { header: "Cost", cell: (a) => usd(a.cost.total_usd), className: "num" },
              { header: "Price version", cell: (a) => a.price_version ?? "—" },
              { header: "Time", cell: (a) => ms(a.total_ms), className: "num" },
            ]}
          />
          {d.warnings.length ? (
            <>
              <h2>Warnings</h2>
              <pre className="json">{JSON.stringify(d.warnings, null, 2)}</pre>
            </>
          ) : null}
        </>
      ) : null}
    </>
  );
}

function Fact({ k, v }: { k: string; v: ReactNode }) {
  return (
    <div>
      <dt>{k}</dt>
      <dd>{v}</dd>
    </div>
  );
}
