import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, GatewayError, openAIEnvelope, scrubSecrets } from "../../src/core/errors.js";

describe("error catalogue", () => {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  it.each(Object.entries(ERROR_CODES))("%s is documented with its status and type", (code, def) => {
    const row = doc.split("\n").find((l) => l.startsWith(`| \`${code}\` |`));
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row).toContain(`| ${def.status} |`);
    expect(row).toContain(`\`${def.type}\``);
    expect(row).toContain(def.retryable ? "| yes |" : "| no |");
  });

  it("renders OpenAI's envelope", () => {
    const e = new GatewayError("invalid_request", "bad thing", { param: "model" });
    expect(openAIEnvelope(e)).toEqual({ error: { message: "bad thing", type: "invalid_request_error", param: "model", code: "invalid_request" } });
    expect(e.status).toBe(400);
    expect(e.retryable).toBe(false);
  });

  it("lets a status be overridden while keeping the code's type", () => {
    const e = new GatewayError("model_not_found", "gone", { status: 404 });
    expect(e.type).toBe("invalid_request_error");
  });

  it("scrubs keys from provider messages", () => {
    expect(scrubSecrets("Incorrect API key provided: sk-proj-abcdefghijklmnop", [])).not.toContain("abcdefghijklmnop");
    expect(scrubSecrets("token my-own-secret-value leaked", ["my-own-secret-value"])).toBe("token [redacted] leaked");
    expect(scrubSecrets("Authorization: Bearer abc.def.ghijklmn")).toBe("Authorization: Bearer [redacted]");
  });
});
