/**
 * The log's redaction, line by line: configured secrets (wherever they appear, JSON-escaped too)
 * and anything shaped like a credential are replaced before a line is written.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { configSecrets, createGatewayLog, REDACTED, SecretScrubber } from "../../src/observability/log.js";
import { knownProviderTypes } from "../../src/providers/registry.js";

const MASTER = "sb-master-CANARYmaster0123456789abcdefghij";
const VIRTUAL = "sb-live-CANARYvirtual0123456789abcdefgh";
const OPENAI = "sk-proj-CANARYopenai0123456789";
const AWS_SECRET = "CANARYawsSecret/0123456789+abcdefghijkl";
const VERTEX_PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvCANARYvertex0123\n-----END PRIVATE KEY-----\n";
const DB_PASSWORD = "CANARYdbPassw0rd";

function capture(secrets: string[], level: "info" | "warn" = "info") {
  const lines: string[] = [];
  const log = createGatewayLog({ level, secrets, stream: { write: (s: string) => lines.push(s) } });
  return { log, lines };
}

describe("redaction", () => {
  it("replaces configured secrets and credential shapes in every field, the message and error stacks", () => {
    const { log, lines } = capture([MASTER, OPENAI, AWS_SECRET]);
    log.logger.info({ note: `key ${MASTER} and ${OPENAI}` }, `upstream said: invalid key ${OPENAI}`);
    log.logger.error({ error: new Error(`AWS refused ${AWS_SECRET}`).stack }, "internal error");
    log.logger.warn(`client sent Authorization: Bearer ${VIRTUAL}`);
    log.logger.warn({ headers: { authorization: `Bearer ${VIRTUAL}`, "x-api-key": OPENAI } }, "headers");
    log.logger.warn(`connecting to postgres://sb:${DB_PASSWORD}@db:5432/sb`);
    log.logger.warn({ creds: VERTEX_PEM }, "vertex");
    log.logger.warn("x-api-key=AIzaSyCANARYgoogle0123456789abcdefghijklm and ya29.CANARYtoken-abc and AKIACANARY0123456789");
    log.logger.warn({ refused: { invalid_api_key: 7 }, api_key: "CANARYfield" }, "counts");
    const all = lines.join("");
    expect(all).not.toMatch(/CANARY/);
    expect(lines).toHaveLength(8);
    expect(JSON.parse(lines[7])).toMatchObject({ refused: { invalid_api_key: 7 }, api_key: REDACTED });
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    expect(JSON.parse(lines[0]).msg).toBe(`upstream said: invalid key ${REDACTED}`);
    expect(JSON.parse(lines[4]).msg).toBe(`connecting to postgres://sb:${REDACTED}@db:5432/sb`);
  });

  it("finds a secret as it appears inside a JSON string (escaped quotes and backslashes)", () => {
    const odd = 'pa"ss\\word-CANARY-42';
    const { log, lines } = capture([odd]);
    log.logger.info({ body: { upstream: `{"error":"bad key ${odd}"}` } }, "x");
    expect(lines.join("")).not.toContain("CANARY");
  });

  it("collects the secrets of a config: master key, provider keys, headers, nested credentials, URL passwords, metrics token", () => {
    const config = parseConfig(
      {
        master_key: MASTER,
        database_url: `postgres://sb:${DB_PASSWORD}@127.0.0.1:5432/sb`,
        metrics: { bearer_token: "CANARYmetricsToken" },
        providers: {
          openai: { api_key: OPENAI, headers: { "x-extra-auth": "Bearer CANARYheaderValue" } },
          bedrock: { type: "bedrock", region: "us-east-1", access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: AWS_SECRET },
        },
      },
      { env: {}, knownProviderTypes: knownProviderTypes() },
    );
    const secrets = configSecrets(config);
    for (const s of [MASTER, DB_PASSWORD, "CANARYmetricsToken", OPENAI, "CANARYheaderValue", AWS_SECRET]) expect(secrets).toContain(s);
  });

  it("keeps ordinary text (short values, model names, ids) untouched", () => {
    expect(new SecretScrubber([]).scrub("expected postgres://user:password@host:5432/database")).toBe("expected postgres://user:password@host:5432/database");
    const s = new SecretScrubber(["short", "sk-proj-CANARYopenai0123456789"]);
    expect(s.scrub('{"msg":"request","model":"openai:gpt-4o-mini","key_id":"key_abc123","status":200,"note":"short"}')).toBe(
      '{"msg":"request","model":"openai:gpt-4o-mini","key_id":"key_abc123","status":200,"note":"short"}',
    );
  });

  it("logging.level: lines below it are not written", () => {
    const { log, lines } = capture([], "warn");
    log.logger.info("hidden");
    log.logger.warn("shown");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["shown"]);
    expect(JSON.parse(lines[0]).level).toBe("warn");
  });
});
