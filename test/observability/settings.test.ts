/**
 * The metrics and observability settings: validated at start-up, the OpenTelemetry variables as
 * fallbacks of the file, `metrics.enabled: false` turning the request series and /metrics off,
 * and the bearer token of /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { scrape, value } from "./prometheus.js";

describe("configuration", () => {
  it("defaults: metrics on, no traces, service name switchboard", () => {
    const c = parseConfig({});
    expect(c.metrics).toEqual({ enabled: true });
    expect(c.observability).toEqual({ otlpHeaders: {}, serviceName: "switchboard" });
  });

  it("reads the section, and refuses a wrong value with its path", () => {
    const c = parseConfig({ metrics: { enabled: "false" }, observability: { otlp_endpoint: "http://collector:4318", otlp_headers: { authorization: "Basic abc" }, service_name: "gw-eu" } });
    expect(c.metrics.enabled).toBe(false);
    expect(c.observability).toEqual({ otlpEndpoint: "http://collector:4318", otlpHeaders: { authorization: "Basic abc" }, serviceName: "gw-eu" });
    expect(() => parseConfig({ metrics: { enabled: "sometimes" } })).toThrow(/metrics\.enabled/);
    expect(() => parseConfig({ observability: { otlp_endpoint: "collector:4318" } })).toThrow(/observability\.otlp_endpoint: expected an http:\/\/ or https:\/\/ URL/);
    expect(() => parseConfig({ observability: { sample_rate: 0.5 } })).toThrow(/sample_rate/);
  });

  it("OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS and OTEL_SERVICE_NAME when the file does not set them", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "https://cloud.langfuse.com/api/public/otel", OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Basic%20cGs6c2s=,x-team=eu", OTEL_SERVICE_NAME: "from-env" };
    expect(parseConfig({}, { env }).observability).toEqual({
      otlpEndpoint: "https://cloud.langfuse.com/api/public/otel",
      otlpHeaders: { Authorization: "Basic cGs6c2s=", "x-team": "eu" },
      serviceName: "from-env",
    });
    const fromFile = parseConfig({ observability: { otlp_endpoint: "http://file:4318", service_name: "file" } }, { env });
    expect(fromFile.observability.otlpEndpoint).toBe("http://file:4318");
    expect(fromFile.observability.serviceName).toBe("file");
    expect(() => parseConfig({}, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: "collector" } })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: expected an http/);
    expect(() => parseConfig({}, { env: { OTEL_EXPORTER_OTLP_HEADERS: "no-equals-sign" } })).toThrow(/OTEL_EXPORTER_OTLP_HEADERS/);
  });
});

describe("metrics.enabled: false", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ metrics: { enabled: false } });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("counts nothing on the request path and /metrics answers 404", async () => {
    expect(gw.runtime.observe).toBeUndefined();
    expect((await gw.post("/v1/chat/completions", { model: "mock:mock-1", messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("metrics.enabled: false");
  });
});

describe("metrics.bearer_token", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ metrics: { bearer_token: "scrape-secret-123" } });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("401 without it or with another; the series with it", async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await gw.post("/v1/chat/completions", { model: "mock:mock-1", messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    const m = await scrape(gw.url, "scrape-secret-123");
    expect(value(m, "switchboard_requests_total", { model: "other", provider: "mock", status: "200" })).toBe(1);
  });
});
