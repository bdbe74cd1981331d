/** Request logs with filters (model, provider, key, user, team, tag, client request id, time range, status); a request's receipt at /ui/logs/<request id>. */
import { useState, type FormEvent } from "react";
import { useFields } from "../hooks";
import { query } from "../api";
import { More } from "../components/More";
import { Table } from "../components/Table";
import { Badge, ErrorNote, Field, PageHeader, RangeFields, Select } from "../components/ui";
import { ms, num, stamp, usd, utcRange } from "../format";
import { usePaged } from "../paged";
import { Link } from "../router";
import { Receipt } from "./Receipt";

interface LogObject {
  request_id: string;
  created_at: string;
  requested_model: string;
  provider: string;
  model: string;
  status: number;
  attempts: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: string;
  streamed: boolean;
  key_id: string | null;
  total_ms: number;
}

const EMPTY = { model: "", provider: "", key_id: "", user_id: "", team_id: "", tag: "", client_request_id: "", status: "", from: "", to: "" };

export function Logs({ id }: { id?: string }) {
  return id ? <Receipt id={id} /> : <LogList />;
}

function LogList() {
  const [draft, set] = useFields(EMPTY);
  const [filters, setFilters] = useState(EMPTY);
  const list = usePaged<LogObject>(`/v1/logs${query(utcRange(filters))}`);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft });
  };
  return (
    <>
      <PageHeader title="Request logs">
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </PageHeader>
      <form className="form inline" onSubmit={apply} aria-label="Filter request logs">
        <Field label="Model" value={draft.model} onChange={set("model")} />
        <Field label="Provider" value={draft.provider} onChange={set("provider")} />
        <Field label="Key id" value={draft.key_id} onChange={set("key_id")} />
        <Field label="User id" value={draft.user_id} onChange={set("user_id")} />
        <Field label="Team id" value={draft.team_id} onChange={set("team_id")} />
        <Field label="Tag" value={draft.tag} onChange={set("tag")} />
        <Field label="Client request id" hint="The x-request-id the client sent" value={draft.client_request_id} onChange={set("client_request_id")} />
        <RangeFields from={draft.from} to={draft.to} onFrom={set("from")} onTo={set("to")} />
        <Select
          label="Status"
          value={draft.status}
          onChange={set("status")}
          options={[
            ["", "Any"],
            ["success", "Success"],
            ["error", "Error (≥ 400)"],
            ["4xx", "4xx"],
            ["5xx", "5xx"],
          ]}
        />
        <button type="submit">Apply filters</button>
      </form>
      <ErrorNote error={list.error} />
      <Table
        caption="Requests, newest first"
        rows={list.items}
        rowKey={(r) => r.request_id}
        empty="No requests match."
        columns={[
          { header: "Time (UTC)", cell: (r) => stamp(r.created_at), className: "nowrap" },
          { header: "Request", cell: (r) => <Link to={`/logs/${encodeURIComponent(r.request_id)}`}>{r.request_id}</Link> },
          { header: "Model", cell: (r) => r.requested_model, className: "nowrap" },
          { header: "Provider", cell: (r) => r.provider, className: "nowrap" },
          { header: "Status", cell: (r) => <Badge tone={r.status < 400 ? "ok" : "bad"}>{r.status}</Badge> },
          { header: "Attempts", cell: (r) => num(r.attempts), className: "num" },
          { header: "Tokens in / out", cell: (r) => `${num(r.prompt_tokens)} / ${num(r.completion_tokens)}`, className: "num" },
          { header: "Cost", cell: (r) => usd(r.cost_usd), className: "num" },
          { header: "Latency", cell: (r) => ms(r.total_ms), className: "num" },
          { header: "Key", cell: (r) => (r.key_id ? <code>{r.key_id}</code> : "master") },
        ]}
      />
      <More list={list} />
    </>
  );
}
