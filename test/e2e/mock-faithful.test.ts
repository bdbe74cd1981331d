/**
 * The mock provider behaves like a real one through the official OpenAI SDK: base64 embeddings
 * (the SDK's default encoding) decode to the same vector as floats, structured outputs follow the
 * requested schema (`.parse()` with a zod schema), and `n` gives n choices billed n times.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { zodResponseFormat, zodFunction } from "openai/helpers/zod";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { schemaInstance } from "../../src/providers/mock/schema-instance.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({});
});
afterAll(async () => {
  await gw?.stop();
});

describe("mock embeddings", () => {
  it("decodes the SDK's default base64 encoding to the same vector as floats", async () => {
    const asBase64 = await gw.client.embeddings.create({ model: "mock:mock-embedding-1", input: "hello world" });
    const asFloats = await gw.client.embeddings.create({ model: "mock:mock-embedding-1", input: "hello world", encoding_format: "float" });
    const a = asBase64.data[0].embedding;
    const b = asFloats.data[0].embedding;
    expect(a).toHaveLength(64);
    expect(a.some((x) => x !== 0)).toBe(true);
    // float32 round trip: equal to ~7 significant digits
    a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 5));
  });

  it("sends base64 on the wire when asked", async () => {
    const res = await gw.post("/v1/embeddings", { model: "mock:mock-embedding-1", input: ["a", "b"], encoding_format: "base64" });
    const body = (await res.json()) as { data: Array<{ embedding: unknown }> };
    expect(body.data).toHaveLength(2);
    for (const d of body.data) {
      expect(typeof d.embedding).toBe("string");
      expect(Buffer.from(d.embedding as string, "base64").length).toBe(64 * 4);
    }
  });
});

describe("mock structured outputs", () => {
  const Event = z.object({
    name: z.string(),
    date: z.string(),
    attendees: z.array(z.object({ name: z.string(), role: z.enum(["host", "guest"]), age: z.number().int().min(18) })).min(2),
    location: z.object({ city: z.string(), zip: z.string().nullable() }),
    tags: z.array(z.string()),
    confirmed: z.boolean(),
    priority: z.union([z.literal("low"), z.literal("high")]),
  });

  it("answers a zod schema that the SDK's .parse() accepts", async () => {
    const r = await gw.client.chat.completions.parse({
      model: "mock:mock-1",
      messages: [{ role: "user", content: "Plan a party" }],
      response_format: zodResponseFormat(Event, "event"),
    });
    const parsed = r.choices[0].message.parsed!;
    expect(Event.parse(parsed)).toEqual(parsed);
    expect(parsed.attendees).toHaveLength(2);
    expect(parsed.attendees[0]).toEqual({ name: "mock", role: "host", age: 18 });
    expect(parsed.priority).toBe("low");
  });

  it("streams the same schema-following JSON", async () => {
    const stream = gw.client.chat.completions.stream({
      model: "mock:mock-1",
      messages: [{ role: "user", content: "Plan a party" }],
      response_format: zodResponseFormat(Event, "event"),
    });
    const done = await stream.finalChatCompletion();
    expect(Event.safeParse(done.choices[0].message.parsed).success).toBe(true);
  });

  it("calls a zod-described tool with arguments that parse", async () => {
    const Weather = z.object({ city: z.string(), unit: z.enum(["c", "f"]), days: z.number().int().min(1).max(7) });
    const r = await gw.client.chat.completions.parse({
      model: "mock:mock-1",
      messages: [{ role: "user", content: "Weather?" }],
      tools: [zodFunction({ name: "weather", parameters: Weather })],
    });
    const call = r.choices[0].message.tool_calls![0];
    expect(call.type).toBe("function");
    expect((call as { function: { parsed_arguments: unknown } }).function.parsed_arguments).toEqual({ city: "mock", unit: "c", days: 1 });
  });
});

describe("schema instances", () => {
  it("follows $ref, allOf, type lists, bounds and formats", () => {
    const schema = {
      $defs: {
        Node: {
          type: "object",
          properties: { value: { type: "integer", exclusiveMinimum: 3, multipleOf: 5 }, next: { anyOf: [{ $ref: "#/$defs/Node" }, { type: "null" }] } },
          required: ["value", "next"],
        },
      },
      type: "object",
      properties: {
        head: { $ref: "#/$defs/Node" },
        when: { type: "string", format: "date-time" },
        code: { type: "string", minLength: 6, maxLength: 8 },
        maybe: { type: ["null", "number"], maximum: -2 },
        both: { allOf: [{ type: "object", properties: { a: { const: 7 } } }, { properties: { b: { type: "boolean" } } }] },
        pair: { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }] },
      },
    };
    const v = schemaInstance(schema) as Record<string, unknown>;
    expect(v.when).toBe("2026-01-01T00:00:00Z");
    expect(v.code).toBe("mockxx");
    expect(v.maybe).toBe(-2);
    expect(v.both).toEqual({ a: 7, b: true });
    expect(v.pair).toEqual(["mock", 1]);
    // A recursive schema ends.
    let node = v.head as { value: number; next: unknown };
    let depth = 0;
    while (node && typeof node === "object") {
      expect(node.value).toBe(5);
      node = node.next as typeof node;
      depth++;
    }
    expect(depth).toBeGreaterThan(1);
    expect(depth).toBeLessThan(40);
  });
});

describe("mock n", () => {
  it("gives n choices and bills n answers", async () => {
    const one = await gw.client.chat.completions.create({ model: "mock:mock-1", messages: [{ role: "user", content: "Hello there" }] });
    const three = await gw.client.chat.completions.create({ model: "mock:mock-1", messages: [{ role: "user", content: "Hello there" }], n: 3 });
    expect(three.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(three.choices.every((c) => c.message.content === one.choices[0].message.content)).toBe(true);
    expect(three.usage!.completion_tokens).toBe(3 * one.usage!.completion_tokens);
  });

  it("streams n choices", async () => {
    const stream = await gw.client.chat.completions.create({ model: "mock:mock-1", messages: [{ role: "user", content: "Hi" }], n: 2, stream: true });
    const text = ["", ""];
    for await (const c of stream) for (const ch of c.choices) text[ch.index] += ch.delta.content ?? "";
    expect(text[0]).toBe("This is a mock response to: Hi");
    expect(text[1]).toBe(text[0]);
  });
});
