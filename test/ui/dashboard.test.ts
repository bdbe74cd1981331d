/**
 * The dashboard in a real browser (Debian's Chromium, headless, 1366×768) against a real gateway
 * and a fake OpenAI upstream: sign in, create a key and use it through the `openai` SDK, find the
 * request in the logs and the overview chart, open its receipt, stream in the playground, edit a
 * price and a key, revoke the key (the next request is refused), sign out (the old cookie is
 * refused). A screenshot of every page goes to test-artifacts/ui/.
 */
import { existsSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { axeViolations, CHROMIUM, ensureDashboardBuilt, openBrowser, VIEWPORT, type UiBrowser } from "./browser.js";

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);

let fake: FakeOpenAI;
let gw: TestGateway;
let ui: UiBrowser;

beforeAll(async () => {
  if (!haveChromium) return;
  ensureDashboardBuilt();
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ providers: { up: { type: "openai", base_url: fake.url, api_key: "sk-up-000000" } } });
  ui = await openBrowser();
}, 180_000);

afterAll(async () => {
  await ui?.close();
  await gw?.stop();
  await fake?.close();
});

/** A screenshot of the page, and axe-core's audit of it: no serious or critical violation. */
const check = async (name: string) => {
  await ui.shot(name);
  expect(await axeViolations(ui.page), `accessibility of ${name}`).toEqual([]);
};

const go = async (path: string) => {
  await ui.page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: path }).click();
  await ui.page.getByRole("heading", { level: 1, name: path }).waitFor();
};

describe.skipIf(!haveChromium)("dashboard in a browser", () => {
  let key = "";
  let requestId = "";

  it("serves the app with its security headers and signs in with the master key", async () => {
    const res = await fetch(`${gw.url}/ui/keys`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    const asset = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)![1];
    const js = await fetch(gw.url + asset);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await fetch(`${gw.url}/ui/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${gw.url}/ui/api/nothing`)).status).toBe(404);

    const { page } = ui;
    await page.goto(`${gw.url}/ui/`);
    await page.getByLabel("Master key").fill("not-the-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "wrong master key" }).waitFor();
    await check("01-sign-in");
    // The browser logs the refused sign-in (401) as a failed resource: expected here, and only here.
    expect(ui.problems).toEqual(["console: Failed to load resource: the server responded with a status of 401 (Unauthorized) (/ui/api/session)"]);
    ui.problems.length = 0;
    await page.getByLabel("Master key").fill(gw.masterKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    const cookie = (await ui.context.cookies()).find((c) => c.name === "sb_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    await check("02-overview-empty");
  });

  it("creates a key, shown once, that works through the openai SDK", async () => {
    const { page } = ui;
    await go("Keys");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("form", { name: "Create" }).getByLabel("Name").fill("browser-test");
    await check("03a-keys-create-form");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    key = (await page.getByTestId("new-key").textContent())!;
    expect(key).toMatch(/^sb-live-/);
    await page.getByRole("cell", { name: "browser-test" }).waitFor();
    await check("03-keys-created");
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.getByTestId("new-key").count()).toBe(0);
  });

  it("edits a price, which the next request is costed at", async () => {
    const { page } = ui;
    await go("Models & pricing");
    const form = page.getByRole("form", { name: "Set price" });
    await form.getByLabel("Model").fill("up:gpt-4o");
    await form.getByLabel("Input $/M tokens").fill("1000");
    await form.getByLabel("Output $/M tokens").fill("2000");
    await form.getByRole("button", { name: "Save price" }).click();
    await page
      .getByRole("row", { name: /up:gpt-4o/ })
      .getByText("set here")
      .waitFor();
    await check("04-pricing");

    fake.enqueue({ text: "from the sdk", usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: "up:gpt-4o", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(data.choices[0].message.content).toBe("from the sdk");
    requestId = response.headers.get("x-switchboard-request-id")!;
    expect(response.headers.get("x-switchboard-cost-usd")).toBe("0.02");
    await gw.usage.flush();
  });

  it("shows the request in the logs, its receipt, and the overview chart", async () => {
    const { page } = ui;
    await go("Request logs");
    const link = page.getByRole("link", { name: requestId });
    await link.waitFor();
    await check("05-logs");
    // A time range (read as UTC) is sent as ISO 8601: one after the request finds nothing, one around it finds it.
    const logFilter = page.getByRole("form", { name: "Filter request logs" });
    await logFilter.getByLabel("From (UTC)").fill("2030-01-01T00:00");
    const later = page.waitForResponse((r) => r.url().includes("/v1/logs?"));
    await logFilter.getByRole("button", { name: "Apply filters" }).click();
    expect(new URL((await later).url()).searchParams.get("from")).toBe("2030-01-01T00:00:00.000Z");
    await page.getByText("No requests match.").waitFor();
    expect(await link.count()).toBe(0);
    await logFilter.getByLabel("From (UTC)").fill("2020-01-01T00:00");
    await logFilter.getByLabel("To (UTC)").fill("2100-01-01T00:00");
    const around = page.waitForResponse((r) => r.url().includes("/v1/logs?"));
    await logFilter.getByRole("button", { name: "Apply filters" }).click();
    const aroundParams = new URL((await around).url()).searchParams;
    expect([aroundParams.get("from"), aroundParams.get("to")]).toEqual(["2020-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z"]);
    await link.waitFor();
    await check("05b-logs-range");
    await link.click();
    await page.getByRole("heading", { level: 1, name: `Receipt ${requestId}` }).waitFor();
    expect(await page.getByTestId("receipt-total").textContent()).toBe("$0.0200");
    await page.getByRole("table", { name: "Upstream attempts" }).getByRole("cell", { name: "up:gpt-4o" }).waitFor();
    await check("06-receipt");

    const series = page.waitForResponse((r) => r.url().includes("/v1/usage/series"));
    await go("Overview");
    const body = (await (await series).json()) as { data: Array<{ requests: number; cost_usd: string }> };
    expect(body.data.reduce((n, p) => n + p.requests, 0)).toBe(1);
    expect(body.data.reduce((n, p) => n + Number(p.cost_usd), 0)).toBe(0.02);
    const tiles = page.getByRole("region", { name: "Totals over the range" });
    await tiles.getByText("$0.0200").waitFor();
    // Every chart drew its plot (a canvas) in a box of fixed height.
    const charts = page.locator("figure.chart");
    expect(await charts.count()).toBe(5);
    await page.locator("figure.chart canvas").first().waitFor();
    expect(await page.locator("figure.chart canvas").count()).toBe(5);
    for (const h of await charts.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height))) expect(h).toBe(262);
    await check("07-overview");

    // Split by model: the series is asked for by group and the legend names the model.
    const grouped = page.waitForResponse((r) => r.url().includes("/v1/usage/series") && r.url().includes("group_by=model"));
    await page.getByLabel("Split by").selectOption("model");
    expect(((await (await grouped).json()) as { groups: string[] }).groups).toEqual(["up:gpt-4o"]);
    await page.locator("figure.chart").first().locator(".u-legend").getByText("up:gpt-4o").waitFor();
    // …and a table gives each model's totals over the range.
    const byModel = page.getByRole("table", { name: "Totals by model over the range" });
    await expect
      .poll(async () => (await byModel.getByRole("row").allInnerTexts()).map((r) => r.replace(/\s+/g, " ").trim()))
      .toEqual(["Model Requests Error rate (attempts) Tokens in / out Cached prompt tokens Spend", "up:gpt-4o 1 0.0 % 10 / 5 0 $0.0200"]);
    await check("07b-overview-by-model");
    // The same report as CSV, through the session cookie.
    const csvHref = (await page.getByRole("link", { name: "Download CSV" }).getAttribute("href"))!;
    expect(csvHref).toMatch(/^\/v1\/usage\?.*group_by=model.*format=csv/);
    const cookie = (await ui.context.cookies()).find((c) => c.name === "sb_session")!;
    const csv = await fetch(gw.url + csvHref, { headers: { cookie: `sb_session=${cookie.value}` } });
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect((await csv.text()).split("\n")[1]).toContain("up:gpt-4o");

    // Keyboard: on a freshly loaded page the first Tab reaches the skip link, which moves focus to the page's content.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement?.id")).toBe("main");
    expect(await page.getByRole("link", { name: "Overview" }).getAttribute("aria-current")).toBe("page");
  });

  it("draws the overview's charts without shifting the layout while they load", async () => {
    const { page } = ui;
    // Cumulative layout shift of the page, summed from its load (shifts right after input excluded, as the metric does).
    await ui.context.addInitScript({
      content: `window.__cls = 0;
        window.__shifted = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) {
            if (e.hadRecentInput) continue;
            window.__cls += e.value;
            for (const s of e.sources) {
              const n = s.node;
              const what = n ? (n.nodeName + (n.className ? "." + String(n.className).split(" ").join(".") : "") + " " + (n.textContent || "").slice(0, 30)) : "?";
              window.__shifted.push(what + " " + JSON.stringify([s.previousRect.y, s.previousRect.height, s.currentRect.y, s.currentRect.height]));
            }
          }
        }).observe({ type: "layout-shift", buffered: true });`,
    });
    // The usage answers arrive late, as from a busy database: the page is drawn first, the charts after.
    await page.route(/\/v1\/usage(\/series)?\?/, async (route) => {
      await new Promise((r) => setTimeout(r, 400));
      await route.continue();
    });
    await page.goto(`${gw.url}/ui/`);
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.locator("figure.chart").first().getByText("Loading…").waitFor();
    await page.getByRole("region", { name: "Totals over the range" }).getByText("$0.0200").waitFor();
    await expect.poll(() => page.locator("figure.chart canvas").count()).toBe(5);
    await page.waitForTimeout(300);
    const shifted = await page.evaluate<string[]>("window.__shifted");
    expect(await page.evaluate("window.__cls"), `layout shifts: ${shifted.join("; ")}`).toBeLessThan(0.01);
    await page.unroute(/\/v1\/usage(\/series)?\?/);
  });

  it("streams a chat in the playground, with tokens, latency and cost", async () => {
    const { page } = ui;
    fake.enqueue({ text: "streamed from the fake upstream", chunks: 4, chunkDelayMs: 30, usage: { prompt_tokens: 20, completion_tokens: 10 } });
    await go("Playground");
    await page.getByLabel("Model").fill("up:gpt-4o");
    await page.getByLabel("Message").fill("stream please");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByRole("list", { name: "Conversation" }).getByText("streamed from the fake upstream").waitFor();
    const stats = page.getByTestId("playground-stats");
    await stats.getByText("20 / 10").waitFor();
    await page.getByTestId("playground-cost").getByText("$0.0400").waitFor({ timeout: 10_000 });
    expect(fake.calls.at(-1)!.body.stream).toBe(true);
    await check("08-playground");
  });

  it("totals the requests carrying one tag, and splits the usage by tag in the table and the CSV", async () => {
    const { page } = ui;
    fake.enqueue({ text: "tagged", usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: { "x-switchboard-tags": "ui-batch" } });
    await client.chat.completions.create({ model: "up:gpt-4o", messages: [{ role: "user", content: "hi" }] });
    await gw.usage.flush();
    await go("Overview");
    const tiles = page.getByRole("region", { name: "Totals over the range" });
    const tagForm = page.getByRole("form", { name: "Only requests with a tag" });
    await tagForm.getByLabel("Tag").fill("ui-batch");
    const tagged = page.waitForResponse((r) => r.url().includes("/v1/usage?") && r.url().includes("tag=ui-batch"));
    const taggedSeries = page.waitForResponse((r) => r.url().includes("/v1/usage/series?") && r.url().includes("tag=ui-batch"));
    await tagForm.getByRole("button", { name: "Apply" }).click();
    expect(((await (await tagged).json()) as { data: Array<{ requests: number }> }).data[0].requests).toBe(1);
    // The charts count the tagged request alone too.
    const points = ((await (await taggedSeries).json()) as { data: Array<{ requests: number }> }).data;
    expect(points.reduce((n, p) => n + p.requests, 0)).toBe(1);
    // 7 tokens in at $1000/M and 3 out at $2000/M.
    await tiles.getByText("$0.0130").waitFor();
    expect(await tiles.getByText("Requests").locator("..").innerText()).toBe("Requests\n1");
    expect(await page.getByTestId("tag-scope").innerText()).toBe("Only requests tagged ui-batch count in the totals, the charts, the table and the CSV.");

    await page.getByLabel("Split by").selectOption("tag");
    const byTag = page.getByRole("table", { name: "Totals by tag over the range" });
    const rows = async () => (await byTag.getByRole("row").allInnerTexts()).map((r) => r.replace(/\s+/g, " ").trim());
    const header = "Tag Requests Error rate (attempts) Tokens in / out Cached prompt tokens Spend";
    await expect.poll(rows).toEqual([header, "ui-batch 1 0.0 % 7 / 3 0 $0.0130"]);
    expect(await page.getByTestId("split-scope").innerText()).toBe("The split by tag is in the table and the CSV; the charts show the totals.");
    await check("07c-overview-tag");
    const csvHref = (await page.getByRole("link", { name: "Download CSV" }).getAttribute("href"))!;
    const csvQuery = new URL(csvHref, gw.url).searchParams;
    expect([csvQuery.get("group_by"), csvQuery.get("tag"), csvQuery.get("format")]).toEqual(["tag", "ui-batch", "csv"]);

    // Without the tag filter: the untagged requests (the first SDK call and the playground's) under "(none)".
    await tagForm.getByLabel("Tag").fill("");
    await tagForm.getByRole("button", { name: "Apply" }).click();
    await expect.poll(async () => (await rows()).map((r) => r.split(" ").slice(0, 2).join(" "))).toEqual(["Tag Requests", "(none) 2", "ui-batch 1"]);
    expect(await page.getByTestId("tag-scope").count()).toBe(0);
    // By day (UTC): the three requests so far, all today.
    await page.getByLabel("Split by").selectOption("day");
    const byDay = page.getByRole("table", { name: "Totals by day over the range" });
    const today = new Date().toISOString().slice(0, 10);
    await expect.poll(async () => (await byDay.getByRole("row").allInnerTexts()).map((r) => r.split(/\s+/).slice(0, 2).join(" "))).toEqual(["Day Requests", `${today} 3`]);
  });

  it("edits a key's limits and budget; shows budgets, users, teams, providers and the audit log", async () => {
    const { page } = ui;
    await go("Budgets");
    const bform = page.getByRole("form", { name: "Create budget" });
    await bform.getByLabel("Budget id").fill("ui-monthly");
    await bform.getByLabel("Limit (USD)").fill("1");
    await bform.getByRole("button", { name: "Create budget" }).click();
    await page.getByRole("heading", { name: "ui-monthly" }).waitFor();

    await go("Keys");
    await page
      .getByRole("row", { name: /browser-test/ })
      .getByRole("button", { name: /^Edit sb-live-/ })
      .click();
    const kform = page.getByRole("form", { name: /^Save sb-live-/ });
    await kform.getByLabel("Requests per minute").fill("100");
    await kform.getByLabel("Budget id").fill("ui-monthly");
    // Metadata that is not a JSON object is refused in the form, with nothing sent.
    const patches: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => r.method() === "PATCH" && patches.push(r.url());
    page.on("request", onRequest);
    const keyMeta = kform.getByLabel("Metadata (JSON object)");
    await keyMeta.fill('{"owner": "search"');
    await kform.getByRole("button", { name: /^Save/ }).click();
    expect(await kform.getByRole("alert").innerText()).toMatch(/^Metadata is not valid JSON: ./);
    expect(await keyMeta.getAttribute("aria-invalid")).toBe("true");
    await keyMeta.fill("[1, 2]");
    await kform.getByRole("button", { name: /^Save/ }).click();
    expect(await kform.getByRole("alert").innerText()).toBe('Metadata must be a JSON object, e.g. {"owner": "search-team"}');
    await check("09a-key-metadata-error");
    expect(patches).toEqual([]);
    await keyMeta.fill('{"owner": "search-team", "tier": 2}');
    await kform.getByRole("button", { name: /^Save/ }).click();
    await page.getByRole("cell", { name: "100 rpm" }).waitFor();
    page.off("request", onRequest);
    expect(patches).toHaveLength(1);
    const master = { authorization: `Bearer ${gw.masterKey}` };
    const keys = (await (await fetch(`${gw.url}/v1/keys`, { headers: master })).json()) as { data: Array<{ key_name: string; metadata: unknown }> };
    expect(keys.data.find((k) => k.key_name === "browser-test")!.metadata).toEqual({ owner: "search-team", tier: 2 });
    await check("09-keys-edited");

    // An expiry (read as UTC), and the key deactivated: refused until it is active again.
    const row = page.getByRole("row", { name: /browser-test/ });
    await row.getByRole("button", { name: /^Edit sb-live-/ }).click();
    // The edit form shows the metadata as it is stored (PostgreSQL's jsonb orders the keys).
    expect(await kform.getByLabel("Metadata (JSON object)").inputValue()).toBe('{\n  "tier": 2,\n  "owner": "search-team"\n}');
    await kform.getByLabel("Expires at (UTC)").fill("2030-01-02T03:04");
    await kform.getByLabel(/^Active/).uncheck();
    await kform.getByRole("button", { name: /^Save/ }).click();
    await row.getByRole("cell", { name: "2030-01-02 03:04:00" }).waitFor();
    await row.getByText("inactive").waitFor();
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: "up:gpt-4o", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 401 });
    await row.getByRole("button", { name: /^Edit sb-live-/ }).click();
    await kform.getByLabel(/^Active/).check();
    await kform.getByRole("button", { name: /^Save/ }).click();
    await row.getByText("active", { exact: true }).waitFor();

    await go("Budgets");
    await page.getByRole("progressbar", { name: /Spend of key/ }).waitFor();
    // Edit the budget: a new limit and alerts, as the API then reports them.
    await page.getByRole("button", { name: "Edit budget ui-monthly" }).click();
    const eform = page.getByRole("form", { name: "Edit budget ui-monthly" });
    await eform.getByLabel("Limit (USD)").fill("2.5");
    await eform.getByLabel("Alerts at (% of limit)").fill("90");
    await eform.getByLabel("Most per request (USD)").fill("0.25");
    await eform.getByLabel("Metadata (JSON object)").fill('{"cost_center": "cc-42"}');
    await check("10a-budget-edit-form");
    await eform.getByRole("button", { name: "Save budget" }).click();
    await page.getByText("$2.5000 per 30d · enforce · at most $0.2500 per request · alerts at 90 %").waitFor();
    const budget = (await (await fetch(`${gw.url}/v1/budgets/ui-monthly`, { headers: master })).json()) as { max_budget: number; alert_thresholds: number[]; max_request_usd: number };
    expect(budget).toMatchObject({ max_budget: 2.5, alert_thresholds: [90], max_request_usd: 0.25, metadata: { cost_center: "cc-42" } });
    await check("10-budgets");
    await go("Users");
    await page.getByRole("form", { name: "Create user" }).getByLabel("User id").fill("alice");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByRole("cell", { name: "alice", exact: true }).waitFor();
    await page.getByRole("button", { name: "Edit alice" }).click();
    const uform = page.getByRole("form", { name: "Edit alice" });
    await uform.getByLabel("Alias").fill("Alice A.");
    await uform.getByLabel("Requests per minute").fill("30");
    await uform.getByLabel("Metadata (JSON object)").fill('{"email": "alice@example.com"}');
    await check("11a-user-edit-form");
    await uform.getByRole("button", { name: "Save" }).click();
    await page.getByRole("row", { name: /alice/ }).getByRole("cell", { name: "30 rpm" }).waitFor();
    await page.getByRole("row", { name: /alice/ }).getByRole("cell", { name: "Alice A." }).waitFor();
    expect(((await (await fetch(`${gw.url}/v1/users/alice`, { headers: master })).json()) as { metadata: unknown }).metadata).toEqual({ email: "alice@example.com" });
    await check("11-users");
    await go("Teams");
    await page.getByRole("form", { name: "Create team" }).getByLabel("Team id").fill("search");
    await page.getByRole("button", { name: "Create team" }).click();
    await page.getByRole("cell", { name: "search", exact: true }).waitFor();
    await page.getByRole("button", { name: "Edit search" }).click();
    const tform = page.getByRole("form", { name: "Edit search" });
    await tform.getByLabel("Name").fill("Search");
    await tform.getByLabel("Budget id").fill("ui-monthly");
    await tform.getByLabel("Metadata (JSON object)").fill('{"slack": "#search"}');
    await tform.getByRole("button", { name: "Save" }).click();
    await page
      .getByRole("row", { name: /search/ })
      .getByRole("cell", { name: "ui-monthly" })
      .waitFor();
    expect(((await (await fetch(`${gw.url}/v1/teams/search`, { headers: master })).json()) as { metadata: unknown }).metadata).toEqual({ slack: "#search" });
    await check("12-teams");
    await go("Providers");
    await page.getByRole("cell", { name: "up:gpt-4o" }).waitFor();
    await check("13-providers");
    await go("Audit log");
    await page.getByRole("cell", { name: "key.update" }).first().waitFor();
    expect(await page.getByRole("cell", { name: /^dashboard:[0-9a-f]{12}$/ }).count()).toBeGreaterThan(0);
    await check("14-audit");
    // A range that ends before today holds none of today's actions; one that starts before them holds them all again.
    const auditFilter = page.getByRole("form", { name: "Filter the audit log" });
    await auditFilter.getByLabel("Action").fill("key.update");
    await auditFilter.getByLabel("To (UTC)").fill("2020-01-01T00:00");
    const before = page.waitForResponse((r) => r.url().includes("/v1/audit?"));
    await auditFilter.getByRole("button", { name: "Apply filters" }).click();
    expect(new URL((await before).url()).searchParams.get("to")).toBe("2020-01-01T00:00:00.000Z");
    expect(((await (await before).json()) as { data: unknown[] }).data).toEqual([]);
    await expect.poll(() => page.getByRole("cell", { name: "key.update" }).count()).toBe(0);
    await auditFilter.getByLabel("To (UTC)").fill("");
    await auditFilter.getByLabel("From (UTC)").fill("2020-01-01T00:00");
    const since = page.waitForResponse((r) => r.url().includes("/v1/audit?"));
    await auditFilter.getByRole("button", { name: "Apply filters" }).click();
    const sinceParams = new URL((await since).url()).searchParams;
    expect([sinceParams.get("from"), sinceParams.get("to"), sinceParams.get("action")]).toEqual(["2020-01-01T00:00:00.000Z", null, "key.update"]);
    // The key was edited three times above: limits and budget, expiry and deactivation, reactivation.
    await expect.poll(() => page.getByRole("cell", { name: "key.update" }).count()).toBe(3);
  });

  it("lists the keys of one user or team, and the users of one team", async () => {
    const { page } = ui;
    const master = { authorization: `Bearer ${gw.masterKey}` };
    const post = (path: string, body: unknown) => fetch(`${gw.url}${path}`, { method: "POST", headers: { ...master, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await post("/v1/keys", { key_name: "alice-key", user_id: "alice", team_id: "search" })).status).toBe(201);
    expect((await post("/v1/keys", { key_name: "team-key", team_id: "search" })).status).toBe(201);
    expect((await post("/v1/users", { user_id: "bob", team_id: "search" })).status).toBe(201);
    await go("Keys");
    const keyNames = () => page.getByRole("table").getByRole("row").locator("td:nth-child(2)").allInnerTexts();
    await expect.poll(async () => (await keyNames()).length).toBe(4);
    const ownerFilter = page.getByRole("form", { name: "Filter keys by owner" });
    await ownerFilter.getByLabel("User id").fill("alice");
    await ownerFilter.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(keyNames).toEqual(["alice-key"]);
    await ownerFilter.getByLabel("User id").fill("");
    await ownerFilter.getByLabel("Team id").fill("search");
    await ownerFilter.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(async () => (await keyNames()).sort()).toEqual(["alice-key", "team-key"]);
    await check("14a-keys-by-team");
    await go("Users");
    const userIds = () => page.getByRole("table").getByRole("row").locator("td:first-child").allInnerTexts();
    await expect.poll(async () => (await userIds()).sort()).toEqual(["alice", "bob"]);
    const teamFilter = page.getByRole("form", { name: "Filter users by team" });
    await teamFilter.getByLabel("Team id").fill("search");
    await teamFilter.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(userIds).toEqual(["bob"]);
  });

  it("revokes the key: its next request is refused with 401", async () => {
    const { page } = ui;
    await go("Keys");
    const row = page.getByRole("row", { name: /browser-test/ });
    await row.getByRole("button", { name: /^Revoke/ }).click();
    await row.getByText("revoked").waitFor();
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: "up:gpt-4o", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 401 });
  });

  it("signs out: the session is gone on the server", async () => {
    const { page } = ui;
    const cookie = (await ui.context.cookies()).find((c) => c.name === "sb_session")!;
    const headers = { cookie: `sb_session=${cookie.value}` };
    expect((await fetch(`${gw.url}/v1/keys`, { headers })).status).toBe(200);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Master key").waitFor();
    expect((await ui.context.cookies()).find((c) => c.name === "sb_session")).toBeUndefined();
    const after = await fetch(`${gw.url}/v1/keys`, { headers });
    expect(after.status).toBe(401);
    // The playground's key was revoked at sign-out.
    const keys = (await (await fetch(`${gw.url}/v1/keys`, { headers: { authorization: `Bearer ${gw.masterKey}` } })).json()) as { data: Array<{ key_name: string; status: string }> };
    expect(keys.data.find((k) => k.key_name === "dashboard playground")?.status).toBe("revoked");
    // The playground asks for its request's receipt until the ledger has written it: a 404 before then is expected.
    const receiptPending = /^console: Failed to load resource: the server responded with a status of 404 \(Not Found\) \(\/v1\/logs\/req_\w+\)$/;
    expect(ui.problems.filter((p) => !receiptPending.test(p))).toEqual([]);
  });

  it("can be used with the keyboard alone: sign in, open Keys, create a key", async () => {
    const context = await ui.browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    try {
      /** Presses Tab until the focused element is the one described (at most 40 times), as a keyboard user would. */
      const tabTo = async (role: string, name: string) => {
        for (let i = 0; i < 40; i++) {
          await page.keyboard.press("Tab");
          const focused = await page.evaluate<{ role: string; name: string } | null>(`(() => {
            const el = document.activeElement;
            if (!el) return null;
            const role = el.tagName === "A" ? "link" : el.tagName === "BUTTON" ? "button" : el.tagName === "INPUT" ? "textbox" : el.tagName.toLowerCase();
            const name = el.getAttribute("aria-label") || (el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent);
            return { role, name: (name || "").trim() };
          })()`);
          if (focused?.role === role && focused.name === name) return;
        }
        throw new Error(`Tab never reached the ${role} "${name}"`);
      };
      await page.goto(`${gw.url}/ui/`);
      await page.getByRole("heading", { name: "Switchboard" }).waitFor();
      // The master key field has the focus on arrival.
      expect(await page.evaluate("document.activeElement?.id")).toBe("master-key");
      await page.keyboard.type(gw.masterKey);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
      await tabTo("link", "Keys");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: "Keys" }).waitFor();
      await tabTo("button", "Create key");
      await page.keyboard.press("Enter");
      // Opening the form moves the focus to its first field.
      await expect.poll(() => page.evaluate("document.activeElement?.labels?.[0]?.textContent")).toBe("Name");
      await page.keyboard.type("made-by-keyboard");
      await tabTo("button", "Create");
      await page.keyboard.press("Enter");
      expect(await page.getByTestId("new-key").textContent()).toMatch(/^sb-live-/);
      await page.getByRole("cell", { name: "made-by-keyboard" }).waitFor();
    } finally {
      await context.close();
    }
  });
});
