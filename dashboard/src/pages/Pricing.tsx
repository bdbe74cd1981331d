/** Models and pricing: every priced model (set here, or from the built-in catalog), edit a price, remove an override. */
import { useMemo, useState, type FormEvent } from "react";
import { api, type List } from "../api";
import { Table } from "../components/Table";
import { Badge, ErrorNote, Field, PageHeader } from "../components/ui";
import { stamp } from "../format";
import { useAction, useGet, useFields } from "../hooks";

interface PriceObject {
  model: string;
  input_price_per_million: number;
  output_price_per_million: number;
  cached_input_price_per_million: number | null;
  source: "api" | "catalog";
  price_version: string;
  updated_at: string | null;
}

const EMPTY = { model: "", input: "", output: "", cached: "" };

export function Pricing() {
  const prices = useGet<List<PriceObject>>("/v1/pricing?include=catalog");
  const action = useAction();
  const [filter, setFilter] = useState("");
  const [f, set, setF] = useFields(EMPTY);
  // Prices set here first, then the catalog's; each part by model name.
  const rows = useMemo(
    () =>
      (prices.data?.data ?? [])
        .filter((p) => p.model.toLowerCase().includes(filter.trim().toLowerCase()))
        .sort((a, b) => (a.source === b.source ? a.model.localeCompare(b.model) : a.source === "api" ? -1 : 1)),
    [prices.data, filter],
  );
  const edit = (p: PriceObject) =>
    setF({
      model: p.model,
      input: String(p.input_price_per_million),
      output: String(p.output_price_per_million),
      cached: p.cached_input_price_per_million === null ? "" : String(p.cached_input_price_per_million),
    });
  const save = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await api("POST", "/v1/pricing", {
        model: f.model.trim(),
        input_price_per_million: f.input.trim(),
        output_price_per_million: f.output.trim(),
        cached_input_price_per_million: f.cached.trim() === "" ? null : f.cached.trim(),
      });
      setF(EMPTY);
      prices.reload();
    });
  };
  const remove = (p: PriceObject) =>
    void action.run(async () => {
      await api("DELETE", `/v1/pricing/${encodeURIComponent(p.model)}`);
      prices.reload();
    });
  return (
    <>
      <PageHeader title="Models & pricing" />
      <ErrorNote error={action.error ?? prices.error} />
      <form className="form inline" onSubmit={save} aria-label="Set price">
        <Field label="Model" hint="provider:model" required value={f.model} onChange={set("model")} />
        <Field label="Input $/M tokens" inputMode="decimal" required value={f.input} onChange={set("input")} />
        <Field label="Output $/M tokens" inputMode="decimal" required value={f.output} onChange={set("output")} />
        <Field label="Cached input $/M" hint="Empty: charged as input" inputMode="decimal" value={f.cached} onChange={set("cached")} />
        <button type="submit">Save price</button>
      </form>
      <Field label="Filter models" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
      <Table
        caption="Prices per million tokens"
        rows={rows}
        rowKey={(p) => `${p.source}:${p.model}`}
        columns={[
          { header: "Model", cell: (p) => <code>{p.model}</code> },
          { header: "Input", cell: (p) => `$${p.input_price_per_million}`, className: "num" },
          { header: "Output", cell: (p) => `$${p.output_price_per_million}`, className: "num" },
          { header: "Cached input", cell: (p) => (p.cached_input_price_per_million === null ? "—" : `$${p.cached_input_price_per_million}`), className: "num" },
          { header: "Source", cell: (p) => <Badge tone={p.source === "api" ? "ok" : "muted"}>{p.source === "api" ? "set here" : "catalog"}</Badge> },
          { header: "Updated (UTC)", cell: (p) => stamp(p.updated_at), className: "nowrap" },
          {
            header: "Actions",
            cell: (p) => (
              <div className="row tight">
                <button type="button" className="small" onClick={() => edit(p)} aria-label={`Edit price of ${p.model}`}>
                  Edit
                </button>
                {p.source === "api" ? (
                  <button type="button" className="small danger" onClick={() => remove(p)} aria-label={`Remove the price set for ${p.model}`}>
                    Remove
                  </button>
                ) : null}
              </div>
            ),
          },
        ]}
      />
    </>
  );
}
