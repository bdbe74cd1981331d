/** The examples in docs/library.md are the files in examples/, and they run. */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNode } from "../support/node.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";

const dir = new URL("../../examples/", import.meta.url);
const doc = readFileSync(new URL("../../docs/library.md", import.meta.url), "utf8");
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => fake?.close());

describe("docs/library.md examples", () => {
  it.each(readdirSync(dir).filter((f) => f.endsWith(".mjs")))("%s appears verbatim in the docs", (file) => {
    expect(doc).toContain(readFileSync(new URL(file, dir), "utf8").trimEnd());
  });

  it("completion.mjs", async () => {
    const r = await runNode(new URL("completion.mjs", dir));
    expect(r.stdout).toBe("This is a mock response to: Hello, library\ntokens: 11 in, 10 out\nstreamed: This is a mock response to: Hello, library\n");
  });

  it("provider.mjs against an OpenAI-compatible server", async () => {
    fake.enqueue({ text: "Hi from the local server" });
    const r = await runNode(new URL("provider.mjs", dir), { LOCAL_BASE_URL: fake.url });
    expect(r.stdout).toBe("OpenAI: tools=true embeddings=true\nHi from the local server\n");
    expect(fake.calls.at(-1)!.body).toMatchObject({ model: "llama-3.1-8b", max_tokens: 50 });
  });

  it("tools.mjs runs the tool and returns the model's answer", async () => {
    const r = await runNode(new URL("tools.mjs", dir));
    expect(r.stdout).toBe('The tool returned: {"city":"mock","temperature_c":21,"sky":"clear"}\n');
  });

  it("embeddings-and-responses.mjs", async () => {
    const r = await runNode(new URL("embeddings-and-responses.mjs", dir));
    expect(r.stdout.split("\n")).toEqual([
      "2 vectors of 64 dimensions",
      "This is a mock response to: Summarise this in one line.",
      "mock:mock-1, mock:mock-embedding-1",
      "missing key: no API key for provider 'anthropic': pass apiKey or set ANTHROPIC_API_KEY",
      "",
    ]);
  });
});
