/**
 * Wrong model names and unknown providers raise the library's exported error classes (never an
 * internal error), through the public API only.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { completion, createProvider, embedding, InvalidRequestError, listModels, ProviderError, responses, SwitchboardError, UnsupportedProviderError } from "../../src/sdk/index.js";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.js";

const messages = [{ role: "user" as const, content: "Hi" }];
const bare = (model: string, known = "") => `model '${model}' must name its provider: 'provider:model' (e.g. 'openai:gpt-4o-mini'), or pass provider${known}`;
const UNKNOWN_NOSUCH = /^unknown provider 'nosuch' \(known: (?:[a-z0-9-]+, )+[a-z0-9-]+\)$/;

async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("a model without its provider", () => {
  it.each([
    ["completion", () => completion({ model: "gpt-4o", messages })],
    ["a stream", () => completion({ model: "gpt-4o", messages, stream: true })],
    ["embedding", () => embedding({ model: "gpt-4o", input: "x" })],
    ["responses", () => responses({ model: "gpt-4o", input: "x" })],
  ])("is an InvalidRequestError from %s", async (_name, run) => {
    const e = await caught(run);
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).toBeInstanceOf(SwitchboardError);
    expect(e).toMatchObject({ name: "InvalidRequestError", message: bare("gpt-4o", "; the catalog knows 'gpt-4o' as 'openai:gpt-4o'"), code: "invalid_request", param: "model" });
  });

  it("also when the prefix is empty", async () => {
    const e = await caught(() => completion({ model: ":gpt-4o", messages }));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect((e as Error).message).toBe(bare(":gpt-4o"));
  });

  it("parameters that do not validate are an InvalidRequestError too, not a provider's error", async () => {
    const e = await caught(() => completion({ model: "mock:mock-1", messages: [] }));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).not.toBeInstanceOf(ProviderError);
    expect((e as Error).message).toBe("invalid completion request: messages: Too small: expected array to have >=1 items");
  });
});

describe("an unknown provider", () => {
  it.each([
    ["completion", () => completion({ model: "nosuch:gpt-4o", messages })],
    ["embedding", () => embedding({ model: "nosuch/text-embedding", input: "x" })],
    ["createProvider", () => createProvider("nosuch")],
    ["listModels", () => listModels("nosuch")],
    ["a provider option's type", () => completion({ model: "local:m", messages, provider: { type: "nosuch" } })],
  ])("is an UnsupportedProviderError from %s", async (_name, run) => {
    const e = await caught(run);
    expect(e).toBeInstanceOf(UnsupportedProviderError);
    expect(e).toBeInstanceOf(SwitchboardError);
    expect((e as Error).message).toMatch(UNKNOWN_NOSUCH);
    expect((e as Error).message).toContain("openai, ");
    expect((e as UnsupportedProviderError).provider).toBe("nosuch");
  });

  it("an option the provider type does not read is an InvalidRequestError, not ignored", async () => {
    const e = await caught(() => createProvider("bedrock", { regoin: "us-west-2" }));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).toMatchObject({
      message: "unknown option 'regoin' for provider 'bedrock' (type bedrock); its options: type, apiKey, baseUrl, headers, timeouts, region, access_key_id, secret_access_key, session_token",
      param: "regoin",
    });
    const c = await caught(() => completion({ model: "local:m", messages, provider: { type: "openai", baseUrl: "http://127.0.0.1:1/v1", organization: "acme" } }));
    expect(c).toBeInstanceOf(InvalidRequestError);
    expect((c as Error).message).toBe("unknown option 'organization' for provider 'local' (type openai); its options: type, apiKey, baseUrl, headers, timeouts, stream_usage, native_responses");
    // camelCase and snake_case name the same setting
    expect(createProvider("bedrock", { region: "eu-west-1", accessKeyId: "AKIA0", secretAccessKey: "s" }).metadata.type).toBe("bedrock");
  });

  it("settings a provider refuses are an InvalidRequestError", async () => {
    const e = await caught(() => createProvider("azure", { apiKey: "k-000000" }));
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect((e as Error).message).toMatch(/^provider 'azure' \(azure\): /);
  });
});

describe("an unknown model of a known provider", () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(async () => fake?.close());
  beforeEach(() => fake.reset());

  it("is the provider's 404 as a ProviderError with code model_not_found", async () => {
    fake.enqueue({ status: 404, error: { message: "The model `gpt-99` does not exist or you do not have access to it." } });
    const e = await caught(() => completion({ model: "local:gpt-99", messages, provider: { type: "openai", baseUrl: fake.url, apiKey: "k-000000" } }));
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toBeInstanceOf(SwitchboardError);
    expect(e).toMatchObject({ status: 404, retryable: false, code: "model_not_found" });
    expect((e as Error).message).toContain("The model `gpt-99` does not exist or you do not have access to it.");
    expect(fake.calls).toHaveLength(1);
  });
});
