/** Kubernetes-style probes: /healthz (the process is alive) and /readyz (its dependencies answer). */
import { Hono } from "hono";

/** `ok` carries what the check reported about itself (e.g. the embedded database server's state). */
export type CheckResult = ({ status: "ok" } & Record<string, unknown>) | { status: "error"; error: string };
export type ReadinessChecks = Record<string, () => Promise<void | Record<string, unknown>>>;

export async function runChecks(checks: ReadinessChecks): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
  const results: Record<string, CheckResult> = {};
  await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        const details = await check();
        results[name] = { ...details, status: "ok" };
      } catch (e) {
        results[name] = { status: "error", error: (e as Error).message };
      }
    }),
  );
  return { ready: Object.values(results).every((r) => r.status === "ok"), checks: results };
}

export function healthRoutes(checks: ReadinessChecks, isDraining: () => boolean): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const { ready, checks: results } = await runChecks(checks);
    const draining = isDraining();
    const ok = ready && !draining;
    return c.json({ status: ok ? "ready" : "not_ready", draining, checks: results }, ok ? 200 : 503);
  });
  return app;
}
