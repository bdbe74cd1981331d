/**
 * The scopes a budget can be assigned to, one row each, in the order a request's budgets are
 * checked. Everything about budgets that depends on the scope reads this table: which of a
 * request's principal ids names the subject, which ledger column sums its spend, the
 * `subject_type` values the store and the management API accept. A new scope (a project, an
 * organisation) is a row here, plus its own entity (table, API) that carries a `budget_id`.
 */
export const BUDGET_SCOPES = [
  { type: "key", principal: "keyId", ledgerColumn: "key_id" },
  { type: "user", principal: "userId", ledgerColumn: "user_id" },
  { type: "team", principal: "teamId", ledgerColumn: "team_id" },
] as const;

export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export type SubjectType = BudgetScope["type"];
/** The ids of a request's principal that budgets can name. */
export type ScopedPrincipal = { readonly [S in BudgetScope as S["principal"]]: string | null };

export const SUBJECT_TYPES = BUDGET_SCOPES.map((s) => s.type) as [SubjectType, ...SubjectType[]];

const BY_TYPE = new Map<SubjectType, BudgetScope>(BUDGET_SCOPES.map((s) => [s.type, s]));

export function budgetScope(type: SubjectType): BudgetScope {
  return BY_TYPE.get(type)!;
}
