import { describe, expect, it } from "vitest";
import { ModelResolver, splitModelName } from "../../src/routing/resolve.js";
import { presentedKey, Authenticator } from "../../src/policy/auth.js";

describe("model names", () => {
  it("split at the first separator, ':' or '/'", () => {
    expect(splitModelName("openai:gpt-4o")).toEqual({ provider: "openai", model: "gpt-4o" });
    expect(splitModelName("openai/gpt-4o")).toEqual({ provider: "openai", model: "gpt-4o" });
    expect(splitModelName("openrouter/anthropic/claude-3.5-sonnet")).toEqual({ provider: "openrouter", model: "anthropic/claude-3.5-sonnet" });
    expect(splitModelName("bedrock:us.anthropic.claude-3-5-sonnet-20240620-v1:0")).toEqual({ provider: "bedrock", model: "us.anthropic.claude-3-5-sonnet-20240620-v1:0" });
    expect(splitModelName("gpt-4o")).toBeNull();
    expect(splitModelName(":x")).toBeNull();
    expect(splitModelName("x:")).toBeNull();
  });

  it("an alias wins over provider:model, and unknown providers are 404", () => {
    const r = new ModelResolver(
      [{ name: "openai/fast", strategy: "weighted", deployments: [{ model: "mock:mock-1", weight: 1, rpm: null, tpm: null }], fallbacks: [] }],
      (id) => id === "mock" || id === "openai",
    );
    expect(r.resolve("openai/fast").deployments).toEqual([{ provider: "mock", model: "mock-1", weight: 1, rpm: null, tpm: null }]);
    expect(r.resolve("openai:gpt-4o").deployments[0]).toMatchObject({ provider: "openai", model: "gpt-4o" });
    expect(() => r.resolve("nosuch:x")).toThrow(expect.objectContaining({ code: "model_not_found", status: 404 }));
  });
});

describe("presented keys", () => {
  it("are read from every accepted header", () => {
    expect(presentedKey({ authorization: "Bearer k1" })).toBe("k1");
    expect(presentedKey({ authorization: "bearer   k1  " })).toBe("k1");
    expect(presentedKey({ "x-api-key": "k2" })).toBe("k2");
    expect(presentedKey({ "anyllm-key": "Bearer k3" })).toBe("k3");
    expect(presentedKey({ "x-anyllm-key": "Bearer k4" })).toBe("k4");
    expect(presentedKey({ authorization: "Basic abc" })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });
  it("the master key is compared exactly", () => {
    const a = new Authenticator("sb-master-abc");
    expect(a.isMasterKey("sb-master-abc")).toBe(true);
    expect(a.isMasterKey("sb-master-ab")).toBe(false);
    expect(a.isMasterKey("sb-master-abcd")).toBe(false);
    expect(a.authenticate({ authorization: "Bearer sb-master-abc" })).toMatchObject({ kind: "master", userId: null });
    expect(() => a.authenticate({ authorization: "Bearer nope" }, undefined)).toThrow(expect.objectContaining({ code: "invalid_api_key" }));
  });
});
