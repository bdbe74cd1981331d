/** SseWriter on a real socket: events of one turn leave together, and a client that stops reading holds the writer back. */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SseWriter } from "../../src/http/respond.js";
import { NodeReply } from "../../src/net/reply.js";

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A server whose one response the test drives, and the client's response (resolves once headers arrive). */
async function open(): Promise<{ res: ServerResponse; client: Promise<IncomingMessage> }> {
  let give!: (res: ServerResponse) => void;
  const got = new Promise<ServerResponse>((r) => (give = r));
  server = createServer((_req, res) => give(res));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const client = new Promise<IncomingMessage>((resolve) => request({ port, host: "127.0.0.1", path: "/" }, resolve).end());
  return { res: await got, client };
}

const turn = () => new Promise((r) => setImmediate(r));

describe("SseWriter", () => {
  it("sends the headers with the first events and joins the events of one turn into one write", async () => {
    const { res, client: clientP } = await open();
    const writes: unknown[] = [];
    const write = res.write.bind(res);
    res.write = ((chunk: unknown, ...rest: never[]) => (writes.push(chunk), write(chunk, ...rest))) as typeof res.write;

    const sse = new SseWriter(new NodeReply(res));
    sse.start({ "x-request-id": "r1" });
    void sse.data('{"a":1}');
    void sse.data('{"a":2}');
    await turn();
    expect(writes).toEqual(['data: {"a":1}\n\ndata: {"a":2}\n\n']);
    void sse.data("[DONE]");
    sse.end();
    const client = await clientP;
    expect(client.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(client.headers["x-request-id"]).toBe("r1");
    let body = "";
    for await (const c of client) body += c;
    expect(body).toBe('data: {"a":1}\n\ndata: {"a":2}\n\ndata: [DONE]\n\n');
  });

  it("makes the writer wait while the client does not read, and delivers everything once it does", async () => {
    const { res, client: clientP } = await open();
    const sse = new SseWriter(new NodeReply(res));
    sse.start({});
    const event = JSON.stringify({ text: "x".repeat(16 * 1024) });
    void sse.data(event); // the headers leave with the first event
    const client = await clientP;
    client.pause();

    // Write one event per turn until the writer asks to wait (the client reads nothing).
    let sent = 1;
    let wait: Promise<void> | void = undefined;
    while (!wait && sent < 20_000) {
      wait = sse.data(event);
      sent++;
      await turn();
    }
    expect(wait).toBeInstanceOf(Promise);
    expect(sent).toBeLessThan(20_000);
    let resumed = false;
    void wait!.then(() => (resumed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(resumed).toBe(false);

    let bytes = 0;
    client.on("data", (c: Buffer) => (bytes += c.length));
    client.resume();
    await wait;
    void sse.data("[DONE]");
    sse.end();
    await new Promise((r) => client.on("end", r));
    expect(bytes).toBe(sent * (event.length + 8) + "data: [DONE]\n\n".length);
  });
});
