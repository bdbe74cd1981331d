/** SseReader: bytes in any pieces → the same events, with UTF-8 characters split across pieces. */
import { describe, expect, it } from "vitest";
import type { GatewayError } from "../../src/core/errors.js";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { AwsEventReader } from "../../src/providers/streams/aws-eventstream.js";
import { SseReader } from "../../src/providers/streams/sse.js";

const stream = Buffer.from('\uFEFFdata: {"t":"héllo ✓ 你好"}\n\nevent: ping\ndata: a\ndata: b\n\ndata: [DONE]\n\n');
const expected = [
  { event: undefined, data: '{"t":"héllo ✓ 你好"}' },
  { event: "ping", data: "a\nb" },
  { event: undefined, data: "[DONE]" },
];

describe("SseReader", () => {
  it("gives the same events however the bytes are split, and drops a leading byte-order mark", () => {
    for (let k = 0; k <= stream.length; k++) {
      const r = new SseReader();
      const events = [...r.push(stream.subarray(0, k)), ...r.push(stream.subarray(k)), ...r.end()];
      expect(events, `split at ${k}`).toEqual(expected);
    }
    const r = new SseReader();
    const oneByOne = [...stream].flatMap((b) => r.push(Uint8Array.of(b)));
    expect([...oneByOne, ...r.end()]).toEqual(expected);
  });

  it("replaces invalid UTF-8 instead of failing, and keeps reading", () => {
    const r = new SseReader();
    const events = [...r.push(Buffer.concat([Buffer.from("data: a"), Buffer.from([0xff, 0xfe]), Buffer.from("b\n\ndata: c\n\n")])), ...r.end()];
    expect(events).toEqual([
      { event: undefined, data: "a\uFFFD\uFFFDb" },
      { event: undefined, data: "c" },
    ]);
  });

  it("follows the event-stream rules: CR, LF and CRLF line ends, comments, fields, blank lines", () => {
    const text =
      ": a comment\r\n" +
      "event: a\rdata:no space\r\ndata:  two spaces\n\n" + // one space dropped, the second kept
      "id: 7\nretry: 100\nevent: only-a-name\n\n" + // no data: nothing dispatched
      "data\n\n" + // a field with no colon: empty data
      "data: x\nunknown: y\n\n" +
      "data: unfinished";
    const want = [
      { event: "a", data: "no space\n two spaces" },
      { event: undefined, data: "" },
      { event: undefined, data: "x" },
    ];
    for (let k = 0; k <= text.length; k++) {
      const r = new SseReader();
      const bytes = Buffer.from(text);
      const events = [...r.push(bytes.subarray(0, k)), ...r.push(bytes.subarray(k)), ...r.end()];
      expect(events, `split at ${k}`).toEqual(want); // the unfinished last event is dropped
    }
  });

  it("bounds what it holds: a line without its end, or an event without its blank line, past the limit fails", () => {
    const fails = (r: SseReader, pieces: string[]) => {
      try {
        for (const p of pieces) r.push(Buffer.from(p));
      } catch (e) {
        return [(e as GatewayError).code, (e as Error).message];
      }
      return null;
    };
    expect(fails(new SseReader(100), ["data: ", "x".repeat(60), "y".repeat(60)])).toEqual(["upstream_error", "upstream sent a stream event over 100 bytes"]);
    expect(
      fails(
        new SseReader(100),
        Array.from({ length: 20 }, () => "data: 0123456789\n"),
      ),
    ).toEqual(["upstream_error", "upstream sent a stream event over 100 bytes"]);
    // Events under the limit, however many, pass.
    const r = new SseReader(100);
    const events = Array.from({ length: 1000 }, (_, i) => r.push(Buffer.from(`data: ${"z".repeat(80)}${i % 10}\n\n`))).flat();
    expect(events).toHaveLength(1000);
  });
});

describe("AwsEventReader", () => {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const message = (body: string) =>
    codec.encode({ headers: { ":event-type": { type: "string", value: "contentBlockDelta" }, ":message-type": { type: "string", value: "event" } }, body: fromUtf8(body) });

  it("reads messages split at any byte, and refuses one announcing more than the limit at its length prefix", () => {
    const bytes = Buffer.concat([message('{"a":1}'), message('{"b":2}')]);
    for (let k = 0; k <= bytes.length; k++) {
      const r = new AwsEventReader();
      const events = [...r.push(bytes.subarray(0, k)), ...r.push(bytes.subarray(k)), ...r.end()];
      expect(
        events.map((e) => e.data),
        `split at ${k}`,
      ).toEqual(['{"a":1}', '{"b":2}']);
    }
    const big = Buffer.alloc(4);
    big.writeUInt32BE(2 ** 31);
    let err: unknown;
    try {
      new AwsEventReader(1024).push(big);
    } catch (e) {
      err = e;
    }
    expect([(err as GatewayError).code, (err as Error).message]).toEqual(["upstream_error", "upstream sent a stream event over 1024 bytes"]);
    expect(new AwsEventReader(1024).push(message("x".repeat(900)))).toHaveLength(1);
  });
});
