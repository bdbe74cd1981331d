/** `/ui` static serving, on a build of its own: content types, cache headers, the app's fallback, 404s, and the not-built answer. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UI_CSP, uiRoutes } from "../../src/http/routes/ui.js";

const dir = mkdtempSync(join(tmpdir(), "sb-ui-static-"));
mkdirSync(join(dir, "assets"));
writeFileSync(join(dir, "index.html"), "<!doctype html><title>app</title>");
writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log(1)");
writeFileSync(join(dir, "assets", "index-abc123.css"), "body{}");
writeFileSync(join(dir, "favicon.svg"), "<svg/>");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const app = uiRoutes(dir);

describe("/ui static files", () => {
  it("serves hashed assets for a year, everything else revalidated, with the CSP", async () => {
    const js = await app.request("/ui/assets/index-abc123.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await js.text()).toBe("console.log(1)");
    expect((await app.request("/ui/assets/index-abc123.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
    const icon = await app.request("/ui/favicon.svg");
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(icon.headers.get("cache-control")).toBe("no-cache");
    for (const path of ["/ui", "/ui/", "/ui/logs/req_123", "/ui/keys"]) {
      const r = await app.request(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-type"), path).toBe("text/html; charset=utf-8");
      expect(r.headers.get("cache-control"), path).toBe("no-cache");
      expect(r.headers.get("content-security-policy"), path).toBe(UI_CSP);
      expect(r.headers.get("x-frame-options"), path).toBe("DENY");
      expect(await r.text(), path).toContain("<title>app</title>");
    }
  });

  it("answers 404 for missing files and for the API's unknown paths, never a file outside the build", async () => {
    for (const path of ["/ui/assets/nope.js", "/ui/missing.png", "/ui/api/other", "/ui/api", "/ui/..%2fpackage.json"]) {
      const r = await app.request(path);
      expect(r.status, path).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code, path).toBe("not_found");
    }
    // A dot-dot path is resolved by URL parsing before any route sees it: it is not under /ui at all.
    const up = await app.request("/ui/%2e%2e/package.json");
    expect(up.status).toBe(404);
    expect(await up.text()).not.toContain("switchboard");
  });

  it("says how to build the dashboard when it is not built", async () => {
    const empty = mkdtempSync(join(tmpdir(), "sb-ui-empty-"));
    const r = await uiRoutes(empty).request("/ui/");
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/npm run build/);
    rmSync(empty, { recursive: true, force: true });
  });
});
