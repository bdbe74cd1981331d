/** SseReader: bytes in any pieces → the same events, with UTF-8 characters split across pieces. */
import { describe, expect, it } from "vitest";
import { SseReader } from "../../src/providers/streams/sse.js";

const stream = Buffer.from('\uFEFFdata: {"t":"héllo ✓ 你好"}\n\nevent: ping\ndata: a\ndata: b\n\ndata: [DONE]\n\n');
const expected = [{ event: undefined, data: '{"t":"héllo ✓ 你好"}' }, { event: "ping", data: "a\nb" }, { event: undefined, data: "[DONE]" }];

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
    expect(events).toEqual([{ event: undefined, data: "a\uFFFD\uFFFDb" }, { event: undefined, data: "c" }]);
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
});
