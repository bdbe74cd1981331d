/**
 * Bare model names: `model: "gpt-4o-mini"` without a provider prefix goes to every configured
 * provider whose catalog (by its provider type) knows that model, by its id, an alias, or the
 * catalog's id fallbacks (a dated snapshot, a Bedrock inference profile). The providers keep the
 * order the operator configured them in, so the answer is deterministic; the routing strategy
 * orders them from there.
 */
import { findCatalogModel } from "../catalog/models.js";

/** The ids of the configured providers whose catalog knows `model`, in the order given. */
export function providersServing(model: string, providers: ReadonlyArray<{ id: string; type: string }>): string[] {
  const serving: string[] = [];
  for (const provider of providers) {
    if (findCatalogModel(provider.type, model)) serving.push(provider.id);
  }
  return serving;
}
