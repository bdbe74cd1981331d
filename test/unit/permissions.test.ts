import { describe, expect, it } from "vitest";
import { checkCidrs, IpAllowList, ModelAllowList } from "../../src/policy/permissions.js";
import { generateKey, hashKey, KEY_PATTERN } from "../../src/policy/keys.js";

describe("model allow lists", () => {
  const list = new ModelAllowList(["openai:*", "anthropic/claude-3-5-haiku-latest", "fast", "groq:llama-*-instant"]);
  it.each([
    ["openai:gpt-4o", true],
    ["openai/gpt-4o-mini", true],
    ["anthropic:claude-3-5-haiku-latest", true],
    ["anthropic/claude-3-5-haiku-latest", true],
    ["anthropic:claude-sonnet-4-5", false],
    ["fast", true],
    ["faster", false],
    ["groq:llama-3.1-8b-instant", true],
    ["groq:llama-3.3-70b-versatile", false],
    ["openaix:gpt-4o", false],
  ])("%s → %s", (model, ok) => expect(list.allows(model)).toBe(ok));
  it("treats regex characters in names literally", () => {
    expect(new ModelAllowList(["mock:mock-1.5"]).allows("mock:mock-1x5")).toBe(false);
  });
});

describe("IP allow lists", () => {
  const list = new IpAllowList(["10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1"]);
  it.each([
    ["10.1.2.3", true],
    ["11.0.0.1", false],
    ["192.168.1.7", true],
    ["192.168.1.8", false],
    ["::ffff:10.9.9.9", true],
    ["2001:db8:1::5", true],
    ["2001:db9::1", false],
    ["::1", true],
    [undefined, false],
    ["not-an-ip", false],
  ])("%s → %s", (ip, ok) => expect(list.allows(ip)).toBe(ok));
  it("validates CIDR entries", () => {
    expect(checkCidrs(["10.0.0.0/8", "::/0", "1.2.3.4"])).toBeNull();
    for (const bad of ["10.0.0.0/33", "2001:db8::/129", "300.1.1.1", "10.0.0.0/x"]) {
      // The first bad entry is named, even after good ones.
      expect(checkCidrs(["10.0.0.0/8", bad])).toBe(`'${bad}' is not an IPv4 or IPv6 address or CIDR range`);
    }
  });
});

describe("virtual keys", () => {
  it("have the documented format and enough randomness, and are stored as a hash", () => {
    const a = generateKey("live");
    const b = generateKey("test");
    expect(a.key).toMatch(KEY_PATTERN);
    expect(a.key.startsWith("sb-live-")).toBe(true);
    expect(b.key.startsWith("sb-test-")).toBe(true);
    expect(a.hash).toBe(hashKey(a.key));
    expect(a.hash).not.toContain(a.key.slice(8));
    expect(a.prefix).toBe(a.key.slice(0, 12));
    const many = new Set(Array.from({ length: 1000 }, () => generateKey().key));
    expect(many.size).toBe(1000);
  });
});
