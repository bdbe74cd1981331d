/** A virtual key with a budget of its own, written straight to a test gateway's store, and the gateway told. */
import { newKeyId, generateKey } from "../../src/policy/keys.js";
import type { TestGateway } from "./gateway.js";

export interface BudgetKeyOptions {
  maxMicros: number;
  mode?: "enforce" | "track";
  durationSec?: number;
  thresholds?: number[];
  maxRequestMicros?: number;
  webhookUrl?: string;
}

export async function keyWithBudget(gw: TestGateway, opts: BudgetKeyOptions): Promise<{ key: string; id: string; budgetId: string }> {
  const k = generateKey();
  const id = newKeyId();
  const budgetId = `b-${id}`;
  await gw.store.db
    .insertInto("budgets")
    .values({
      budget_id: budgetId,
      max_budget_micros: opts.maxMicros,
      duration_sec: opts.durationSec ?? null,
      duration_months: null,
      mode: opts.mode ?? "enforce",
      alert_thresholds: JSON.stringify(opts.thresholds ?? []),
      alert_webhook_url: opts.webhookUrl ?? null,
      max_request_micros: opts.maxRequestMicros ?? null,
      metadata: "{}",
    })
    .execute();
  await gw.store.db
    .insertInto("api_keys")
    .values({ id, key_hash: k.hash, key_prefix: k.prefix, metadata: "{}", budget_id: budgetId } as never)
    .execute();
  await gw.store.db.insertInto("budget_assignments").values({ budget_id: budgetId, subject_type: "key", subject_id: id }).execute();
  gw.runtime.bus.publish({ kind: "assignment", subjectType: "key", subjectId: id });
  await gw.runtime.budgets.reloaded();
  return { key: k.key, id, budgetId };
}
