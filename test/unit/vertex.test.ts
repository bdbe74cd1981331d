/** Vertex AI: service-account OAuth (JWT, token endpoint, caching), URLs, settings, and calls through the fake. */
import { createVerify, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ProviderSettings } from "../../src/config/types.js";
import { GatewayError } from "../../src/core/errors.js";
import type { CallOptions, Provider } from "../../src/providers/types.js";
import { CLOUD_PLATFORM_SCOPE, GoogleTokenSource, loadCredentials, signServiceAccountJwt } from "../../src/providers/vertex/auth.js";
import { createVertexProvider } from "../../src/providers/vertex/index.js";
import { modelPath, vertexBaseUrl } from "../../src/providers/vertex/to-upstream.js";
import type { ChatChunk } from "../../src/wire/openai.js";
import { startFakeVertex, VERTEX_PROJECT, VERTEX_REGION, type FakeVertex } from "../support/fake-vertex.js";

const opts = (): CallOptions => ({ timeouts: { connectMs: 2000, firstTokenMs: 5000, idleMs: 5000, totalMs: 10000 } });
const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

let fake: FakeVertex;
const settings = (extra: Record<string, unknown> = {}): ProviderSettings => ({
  id: "v",
  type: "vertex",
  baseUrl: fake.url,
  headers: {},
  extra: { project: VERTEX_PROJECT, region: VERTEX_REGION, credentials: fake.credentials, token_url: fake.tokenUrl, ...extra },
});
beforeAll(async () => {
  fake = await startFakeVertex();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe("vertex auth", () => {
  it("signs an RS256 JWT with the documented claims", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const creds = { client_email: "sa@p.iam.gserviceaccount.com", private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), private_key_id: "kid1" };
    const jwt = signServiceAccountJwt(creds, "https://oauth2.googleapis.com/token", 1_700_000_000);
    const [h, c, s] = jwt.split(".");
    expect(decode(h)).toEqual({ alg: "RS256", typ: "JWT", kid: "kid1" });
    expect(decode(c)).toEqual({ iss: creds.client_email, scope: CLOUD_PLATFORM_SCOPE, aud: "https://oauth2.googleapis.com/token", iat: 1_700_000_000, exp: 1_700_003_600 });
    expect(createVerify("RSA-SHA256").update(`${h}.${c}`).verify(publicKey, Buffer.from(s, "base64url"))).toBe(true);
  });

  it("fetches a token with the jwt-bearer grant, caches it, shares one refresh, and refreshes before expiry", async () => {
    let now = Date.now() - 3545_000;
    const source = new GoogleTokenSource(loadCredentials({ credentials: fake.credentials }, "v"), fake.tokenUrl, () => now);
    const [a, b, c] = await Promise.all([source.get(), source.get(), source.get()]);
    expect(new Set([a, b, c]).size).toBe(1);
    expect(await source.get()).toBe(a);
    expect(fake.tokenCalls).toHaveLength(1);
    expect(fake.tokenCalls[0].form.grant_type).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    expect(fake.tokenCalls[0].error).toBeUndefined();
    now += 3545_000; // less than a minute of the 3599 s left
    const fresh = await source.get();
    expect(fresh).not.toBe(a);
    expect(fake.tokenCalls).toHaveLength(2);
  });

  it("reports a refused token as upstream_auth_error, and a JWT signed with another key is refused", async () => {
    fake.failNextToken(400, "invalid_grant", "Invalid grant: account not found");
    const p = createVertexProvider(settings(), { connectTimeoutMs: 2000 });
    const err = await p.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }] }, opts()).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect([err.code, err.status, err.message]).toEqual(["upstream_auth_error", 502, "vertex could not get an access token (invalid_grant: Invalid grant: account not found)"]);
    expect(fake.calls).toHaveLength(0);
    await p.close?.();

    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const forged = createVertexProvider(settings({ credentials: { ...fake.credentials, private_key: other } }), { connectTimeoutMs: 2000 });
    const e2 = await forged.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }] }, opts()).catch((e) => e);
    expect(e2.message).toContain("Invalid JWT Signature.");
    await forged.close?.();
  });

  it("reads credentials as JSON text, an object or a file, and says clearly what is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-vertex-"));
    try {
      const file = join(dir, "sa.json");
      writeFileSync(file, JSON.stringify(fake.credentials));
      expect(loadCredentials({ credentials_file: file }, "v").client_email).toBe(fake.credentials.client_email);
      expect(loadCredentials({ credentials: JSON.stringify(fake.credentials) }, "v").project_id).toBe(VERTEX_PROJECT);
      expect(loadCredentials({ credentials: { type: "authorized_user", client_id: "i", client_secret: "s", refresh_token: "r" } }, "v").refresh_token).toBe("r");
      expect(() => loadCredentials({}, "v")).toThrow("provider 'v': vertex needs 'credentials' (service-account JSON) or 'credentials_file'");
      expect(() => loadCredentials({ credentials: "{nope" }, "v")).toThrow("not valid JSON");
      expect(() => loadCredentials({ credentials_file: join(dir, "missing.json") }, "v")).toThrow("cannot read credentials_file");
      expect(() => loadCredentials({ credentials: { client_email: "x" } }, "v")).toThrow("need client_email and private_key");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { project_id: _p, ...noProject } = fake.credentials;
    expect(() => createVertexProvider({ ...settings(), extra: { credentials: noProject } }, { connectTimeoutMs: 1000 })).toThrow("vertex needs 'project'");
  });
});

describe("vertex URLs", () => {
  it("uses the regional host, or aiplatform.googleapis.com for the global location", () => {
    expect(vertexBaseUrl("us-central1")).toBe("https://us-central1-aiplatform.googleapis.com");
    expect(vertexBaseUrl("global")).toBe("https://aiplatform.googleapis.com");
    const loc = { project: "p", region: "global" };
    expect(modelPath(loc, "gemini-2.5-pro")).toBe("/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-pro");
    expect(modelPath(loc, "endpoints/123")).toBe("/v1/projects/p/locations/global/endpoints/123");
  });
});

describe("vertex provider over HTTP", () => {
  let p: Provider;
  beforeAll(() => {
    p = createVertexProvider(settings(), { connectTimeoutMs: 2000 });
  });
  afterAll(() => p.close?.());

  it("calls generateContent with a Bearer token from the token endpoint and takes the project from the credentials", async () => {
    const byCreds = createVertexProvider({ ...settings(), extra: { region: VERTEX_REGION, credentials: fake.credentials, token_url: fake.tokenUrl } }, { connectTimeoutMs: 2000 });
    fake.enqueue({ text: "Hallo", usage: { input: 2, output: 1 } });
    const r = await byCreds.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Hi" }], temperature: 0.2 }, opts());
    await byCreds.close?.();
    expect(r.choices[0].message.content).toBe("Hallo");
    const call = fake.calls[0];
    expect(call.path).toBe(`/v1/projects/${VERTEX_PROJECT}/locations/${VERTEX_REGION}/publishers/google/models/gemini-2.5-flash:generateContent`);
    expect(call.headers.authorization).toBe(`Bearer ${fake.issued.at(-1)}`);
    expect(call.body).toEqual({ contents: [{ role: "user", parts: [{ text: "Hi" }] }], generationConfig: { temperature: 0.2 } });
  });

  it("streams from streamGenerateContent?alt=sse, reusing the cached token", async () => {
    await p.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "warm up" }] }, opts());
    fake.enqueue({ text: "ein zwei drei", usage: { input: 2, output: 3, cachedInput: 1 } });
    const stream = await p.chatStream({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "count" }] }, opts());
    const chunks: ChatChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(fake.calls[1].path).toMatch(/:streamGenerateContent\?alt=sse$/);
    expect(fake.tokenCalls).toHaveLength(1);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("ein zwei drei");
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5, prompt_tokens_details: { cached_tokens: 1 } });
  });

  it("embeds with :predict and reports the token counts as usage", async () => {
    const r = await p.embeddings!({ model: "text-embedding-005", input: ["hello", "world!"], dimensions: 4, encoding_format: "float" }, opts());
    expect(fake.calls[0].path).toBe(`/v1/projects/${VERTEX_PROJECT}/locations/${VERTEX_REGION}/publishers/google/models/text-embedding-005:predict`);
    expect(fake.calls[0].body).toEqual({ instances: [{ content: "hello" }, { content: "world!" }], parameters: { outputDimensionality: 4 } });
    expect(r).toMatchObject({ object: "list", model: "text-embedding-005", usage: { prompt_tokens: 4, total_tokens: 4 } });
    expect(r.data.map((d) => [d.index, (d.embedding as number[]).length])).toEqual([
      [0, 4],
      [1, 4],
    ]);
  });

  it("maps Vertex's 401 to upstream_auth_error", async () => {
    fake.enqueue({ error: { status: 401, message: "Request had invalid authentication credentials." } });
    const err = await p.chat({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }] }, opts()).catch((e) => e);
    expect(err.code).toBe("upstream_auth_error");
  });
});
