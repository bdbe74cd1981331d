// Embeddings, OpenAI's Responses API, and typed errors.
import { embedding, responses, createProvider, listModels, MissingApiKeyError } from "switchboard";

const e = await embedding({ model: "mock:mock-embedding-1", input: ["first text", "second text"] });
console.log(`${e.data.length} vectors of ${e.data[0].embedding.length} dimensions`);

const resp = await responses({ model: "mock:mock-1", input: "Summarise this in one line." });
console.log(resp.output_text);

console.log((await listModels("mock")).map((m) => m.id).join(", "));

try {
  createProvider("anthropic", { apiKey: undefined });
} catch (err) {
  if (err instanceof MissingApiKeyError) console.log(`missing key: ${err.message}`);
  else throw err;
}
