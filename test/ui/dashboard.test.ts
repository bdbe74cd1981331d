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
import { CHROMIUM, ensureDashboardBuilt, openBrowser, type UiBrowser } from "./browser.js";

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
    await ui.shot("01-sign-in");
    // The browser logs the refused sign-in (401) as a failed resource: expected here, and only here.
    expect(ui.problems).toEqual(["console: Failed to load resource: the server responded with a status of 401 (Unauthorized) (/ui/api/session)"]);
    ui.problems.length = 0;
    await page.getByLabel("Master key").fill(gw.masterKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    const cookie = (await ui.context.cookies()).find((c) => c.name === "sb_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    await ui.shot("02-overview-empty");
  });

  it("creates a key, shown once, that works through the openai SDK", async () => {
    const { page } = ui;
    await go("Keys");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("form", { name: "Create" }).getByLabel("Name").fill("browser-test");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    key = (await page.getByTestId("new-key").textContent())!;
    expect(key).toMatch(/^sb-live-/);
    await page.getByRole("cell", { name: "browser-test" }).waitFor();
    await ui.shot("03-keys-created");
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
    await ui.shot("04-pricing");

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
    await ui.shot("05-logs");
    await link.click();
    await page.getByRole("heading", { level: 1, name: `Receipt ${requestId}` }).waitFor();
    expect(await page.getByTestId("receipt-total").textContent()).toBe("$0.0200");
    await page.getByRole("table", { name: "Upstream attempts" }).getByRole("cell", { name: "up:gpt-4o" }).waitFor();
    await ui.shot("06-receipt");

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
    await ui.shot("07-overview");

    // Split by model: the series is asked for by group and the legend names the model.
    const grouped = page.waitForResponse((r) => r.url().includes("/v1/usage/series") && r.url().includes("group_by=model"));
    await page.getByLabel("Split by").selectOption("model");
    expect(((await (await grouped).json()) as { groups: string[] }).groups).toEqual(["up:gpt-4o"]);
    await page.locator("figure.chart").first().locator(".u-legend").getByText("up:gpt-4o").waitFor();

    // Keyboard: on a freshly loaded page the first Tab reaches the skip link, which moves focus to the page's content.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement?.id")).toBe("main");
    expect(await page.getByRole("link", { name: "Overview" }).getAttribute("aria-current")).toBe("page");
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
    await ui.shot("08-playground");
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
    await kform.getByRole("button", { name: /^Save/ }).click();
    await page.getByRole("cell", { name: "100 rpm" }).waitFor();
    await ui.shot("09-keys-edited");

    await go("Budgets");
    await page.getByRole("progressbar", { name: /Spend of key/ }).waitFor();
    await ui.shot("10-budgets");
    await go("Users");
    await page.getByRole("form", { name: "Create user" }).getByLabel("User id").fill("alice");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByRole("cell", { name: "alice", exact: true }).waitFor();
    await ui.shot("11-users");
    await go("Teams");
    await page.getByRole("form", { name: "Create team" }).getByLabel("Team id").fill("search");
    await page.getByRole("button", { name: "Create team" }).click();
    await page.getByRole("cell", { name: "search", exact: true }).waitFor();
    await ui.shot("12-teams");
    await go("Providers");
    await page.getByRole("cell", { name: "up:gpt-4o" }).waitFor();
    await ui.shot("13-providers");
    await go("Audit log");
    await page.getByRole("cell", { name: "key.update" }).waitFor();
    expect(await page.getByRole("cell", { name: /^dashboard:[0-9a-f]{12}$/ }).count()).toBeGreaterThan(0);
    await ui.shot("14-audit");
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
});
