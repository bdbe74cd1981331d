/** Providers: each deployment's circuit state, error rate and latency (this instance's live figures). */
import { type List } from "../api";
import { Table } from "../components/Table";
import { Badge, ErrorNote, PageHeader } from "../components/ui";
import { ms, num, pct, stamp } from "../format";
import { useGet } from "../hooks";

interface Deployment {
  deployment: string;
  provider: string;
  model: string;
  state: "closed" | "open" | "half-open";
  in_flight: number;
  requests: number;
  errors: number;
  error_rate: number;
  ttft_ms: { p50: number | null; p95: number | null };
  total_ms: { p50: number | null; p95: number | null };
  opened_at: string | null;
}

const TONE = { closed: "ok", "half-open": "warn", open: "bad" } as const;

export function Providers() {
  const list = useGet<List<Deployment>>("/v1/providers");
  return (
    <>
      <PageHeader title="Providers">
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </PageHeader>
      <p className="hint">Live figures of this gateway instance over its recent window.</p>
      <ErrorNote error={list.error} />
      <Table
        caption="Deployments"
        rows={list.data?.data ?? []}
        rowKey={(d) => d.deployment}
        empty="No deployments have been used yet."
        columns={[
          { header: "Deployment", cell: (d) => <code>{d.deployment}</code> },
          { header: "Circuit", cell: (d) => <Badge tone={TONE[d.state]}>{d.state}</Badge> },
          { header: "In flight", cell: (d) => num(d.in_flight), className: "num" },
          { header: "Requests", cell: (d) => num(d.requests), className: "num" },
          { header: "Error rate", cell: (d) => pct(d.error_rate), className: "num" },
          { header: "TTFT p50 / p95", cell: (d) => `${ms(d.ttft_ms.p50)} / ${ms(d.ttft_ms.p95)}`, className: "num" },
          { header: "Total p50 / p95", cell: (d) => `${ms(d.total_ms.p50)} / ${ms(d.total_ms.p95)}`, className: "num" },
          { header: "Opened (UTC)", cell: (d) => stamp(d.opened_at) },
        ]}
      />
    </>
  );
}
