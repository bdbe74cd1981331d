/**
 * Every schema migration, in version order. To change the schema: add `NNNN_name.ts` exporting
 * a `Migration` with the next version, append it here, and update `../schema.ts`.
 */
import { migration0001Usage } from "./0001_usage.js";
import { migration0002Access } from "./0002_access.js";
import { migration0003Money } from "./0003_money.js";
import { migration0004ClientRequestId } from "./0004_client_request_id.js";
import { migration0005UserTeamLimits } from "./0005_user_team_limits.js";
import { migration0006BudgetResetsOnce } from "./0006_budget_resets_once.js";
import { migration0007Responses } from "./0007_responses.js";
import { migration0008Batches } from "./0008_batches.js";
import { migration0009RequestLogging } from "./0009_request_logging.js";
import { migration0010UiSessions } from "./0010_ui_sessions.js";
import { migration0011BatchLinesCustomId } from "./0011_batch_lines_custom_id.js";
import { migration0012AuditSignInFailures } from "./0012_audit_sign_in_failures.js";
import type { Migration } from "./types.js";

export type { Migration } from "./types.js";

export const MIGRATIONS: readonly Migration[] = [
  migration0001Usage,
  migration0002Access,
  migration0003Money,
  migration0004ClientRequestId,
  migration0005UserTeamLimits,
  migration0006BudgetResetsOnce,
  migration0007Responses,
  migration0008Batches,
  migration0009RequestLogging,
  migration0010UiSessions,
  migration0011BatchLinesCustomId,
  migration0012AuditSignInFailures,
];
