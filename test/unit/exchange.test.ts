/** UpstreamExchange, the client handler every provider call goes through, against a real local server. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cancellation } from "../../src/core/cancel.js";
import { OriginPool } from "../../src/net/client/client.js";
import { UpstreamExchange } from "../../src/net/client/exchange.js";

let server: Server;
let pool: OriginPool;
/** Bytes the server managed to hand to the socket for /big before the client stopped reading. */
let bigWritten = 0;
let bigFinished = false;
/** Called when a request for /slow has arrived at the server. */
let onSlow: () => void = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/text") {
      res.writeHead(200, { "content-type": "application/json", "x-extra": "yes", "set-cookie": ["a=1", "b=2"] });
      res.write('\uFEFF{"ok":');
      res.end('"h\u00e9llo"}');
    } else if (req.url === "/big") {
      // 32 MiB in 16 KiB pieces, as fast as the socket takes them.
      bigWritten = 0;
      bigFinished = false;
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const piece = Buffer.alloc(16 * 1024, 120);
      let left = 2048;
      const pump = () => {
        while (left > 0) {
          left--;
          bigWritten += piece.length;
          if (!res.write(piece)) return void res.once("drain", pump);
        }
        bigFinished = true;
        res.end();
      };
      pump();
    } else if (req.url === "/cut") {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "100" });
      res.write("partial");
      setTimeout(() => res.socket?.destroy(), 20); // after the client has read the first piece
    } else if (req.url === "/slow") {
      onSlow();
      setTimeout(() => res.end("late"), 2000);
    } else {
      res.writeHead(404).end("nope");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  pool = new OriginPool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connectTimeoutMs: 5000, connections: 4 });
});

afterAll(async () => {
  pool.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** Every body read of an exchange, in order, as `take()`/`readable()` give them. */
async function* reads(ex: UpstreamExchange): AsyncGenerator<Buffer> {
  for (;;) {
    const q = ex.take();
    if (q) yield* q;
    else if (ex.complete) return;
    else await ex.readable();
  }
}

/** Waits (at most 2 s, checking every 5 ms) until `ok()` holds, and fails the test if it never does. */
async function until(ok: () => boolean): Promise<void> {
  const end = Date.now() + 2000;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
}

function start(path: string, signal = new Cancellation(), maxBodyBytes?: number): UpstreamExchange {
  const ex = new UpstreamExchange(signal, maxBodyBytes);
  pool.dispatch({ method: "GET", path, headers: {}, headersTimeout: 5000, bodyTimeout: 5000 }, ex);
  return ex;
}

describe("UpstreamExchange", () => {
  it("reads a body whole as UTF-8 without its byte-order mark, with parsed headers", async () => {
    const ex = await start("/text").response;
    expect(ex.statusCode).toBe(200);
    expect(await ex.text()).toBe('{"ok":"h\u00e9llo"}');
    expect(ex.headers["x-extra"]).toBe("yes");
    expect(ex.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(ex.finished).toBe(true);
  });

  it("bounds a body read whole, not one read chunk by chunk, even when text() is called after it all arrived", async () => {
    const whole = await start("/text", new Cancellation(), 10).response;
    await until(() => whole.complete); // the 18 bytes have arrived
    await expect(whole.text()).rejects.toMatchObject({ code: "UPSTREAM_RESPONSE_TOO_LARGE", message: "upstream response body exceeds 10 bytes" });
    const late = await start("/big", new Cancellation(), 1024 * 1024).response;
    await expect(late.text()).rejects.toMatchObject({ code: "UPSTREAM_RESPONSE_TOO_LARGE" });
    let received = 0;
    for await (const c of reads(await start("/big", new Cancellation(), 1024 * 1024).response)) received += c.length;
    expect(received).toBe(32 * 1024 * 1024); // a stream is bounded per event instead
  });

  it("reports error statuses as responses with their body", async () => {
    const ex = await start("/missing").response;
    expect(ex.statusCode).toBe(404);
    expect(await ex.text()).toBe("nope");
  });

  it("pauses the socket while a chunk consumer is behind, and delivers every byte in order", async () => {
    const ex = await start("/big").response;
    let received = 0;
    let first = true;
    for await (const c of reads(ex)) {
      if (first) {
        first = false;
        // Nobody reads for a while: the server must be held back far below the 32 MiB body
        // (what it did write sits in the kernel's socket buffers and the 64 KiB queue). The
        // pause is the scenario: an unbounded reader would have taken the whole body by then.
        await new Promise((r) => setTimeout(r, 300));
        expect(bigFinished).toBe(false);
        expect(bigWritten).toBeLessThan(16 * 1024 * 1024);
      }
      expect(c.every((b) => b === 120)).toBe(true);
      received += c.length;
    }
    expect(received).toBe(32 * 1024 * 1024);
  });

  it("fails the body when the connection is cut mid-way", async () => {
    const ex = await start("/cut").response;
    // The server ends the socket 7 bytes into a 100-byte body: the read fails as a closed connection.
    const cut = { name: "ClientError", code: "UPSTREAM_CLOSED", message: expect.stringMatching(/^upstream (closed the connection|connection closed) before the response was complete$/) };
    await expect(ex.text()).rejects.toMatchObject(cut);
    const again = await start("/cut").response;
    await expect(
      (async () => {
        for await (const _ of reads(again)) void _;
      })(),
    ).rejects.toMatchObject(cut);
  });

  it("is aborted by its cancellation signal, before or after the response starts", async () => {
    const early = new Cancellation();
    early.cancel(new Error("client went away"));
    await expect(start("/text", early).response).rejects.toThrow("client went away");

    const late = new Cancellation();
    const arrived = new Promise<void>((r) => (onSlow = r));
    const pending = start("/slow", late).response;
    await arrived; // the request is at the server, waiting for its answer
    late.cancel(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
  });

  it("abort() stops a stream whose consumer gave up: nothing more to take; later calls do nothing", async () => {
    const ex = await start("/big").response;
    await ex.readable();
    expect(ex.take()).not.toBeNull();
    ex.abort();
    expect(ex.finished).toBe(true);
    expect(ex.take()).toBeNull();
    await expect(ex.readable()).rejects.toThrow("aborted");
    ex.abort();
  });
});
