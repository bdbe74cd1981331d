/**
 * `server.http_engine`: the gateway serves inference on either engine, with the same answers;
 * what tells them apart on the wire is who wrote the response head (the edge writes lower-case
 * names, Node's server `Connection`/`Keep-Alive`). Bad values are refused when the config loads.
 */
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

/** One raw exchange: the response's head and body. */
async function chat(port: number, key: string): Promise<{ head: string; body: string }> {
  const payload = JSON.stringify({ model: "mock:mock-1", messages: [{ role: "user", content: "hi" }] });
  const s = connect(port, "127.0.0.1");
  let raw = "";
  s.setEncoding("latin1");
  s.on("data", (d: string) => (raw += d));
  const closed = new Promise((r) => s.once("close", r));
  s.write(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${payload.length}\r\n\r\n${payload}`,
  );
  await closed;
  const at = raw.indexOf("\r\n\r\n");
  return { head: raw.slice(0, at), body: raw.slice(at + 4) };
}

describe("server.http_engine", () => {
  it.each([
    ["fast", /\r\nconnection: close(\r\n|$)/],
    ["node", /\r\nConnection: close(\r\n|$)/],
  ])("%s serves inference requests, its own engine writing the head", async (engine, connectionLine) => {
    gw = await startTestGateway({ server: { port: 0, http_engine: engine } });
    expect(gw.runtime.config.server.httpEngine).toBe(engine);
    const r = await chat(gw.port, gw.masterKey);
    expect(r.head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(r.head).toMatch(connectionLine);
    expect((JSON.parse(r.body) as { object: string }).object).toBe("chat.completion");
  });

  it("defaults to fast and refuses anything but fast or node", () => {
    expect(parseConfig({}).server.httpEngine).toBe("fast");
    expect(() => parseConfig({ server: { http_engine: "turbo" } })).toThrow(/server\.http_engine/);
  });
});
