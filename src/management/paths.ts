/** Path prefixes the management app answers (and its middleware runs on): these and below them. */
export const MANAGEMENT_PATHS = ["/v1/keys", "/v1/users", "/v1/teams", "/v1/audit", "/v1/budgets", "/v1/pricing", "/v1/usage", "/v1/logs", "/v1/providers"] as const;

/** Paths the management app answers besides those prefixes. */
export const MANAGEMENT_DOCUMENT = "/openapi.json";

/** The dashboard's sign-in (session) endpoint, answered by the management app. */
export const UI_SESSION_PATH = "/ui/api/session";
