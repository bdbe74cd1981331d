/** Kubernetes-style probes: /healthz (the process is alive) and /readyz (its dependencies answer). */
import { Hono } from "hono";

export type CheckResult = { status: "ok" } | { status: "error"; error: string };
export type ReadinessChecks = Record<string, () => Promise<void>>;

export async function runChecks(checks: ReadinessChecks): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
  const results: Record<string, CheckResult> = {};
  await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await check();
        results[name] = { status: "ok" };
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
