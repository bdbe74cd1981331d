// A provider bound to its settings. Any OpenAI-compatible server works with type "openai" and a baseUrl.
import { createProvider } from "switchboard";

const local = createProvider("local", {
  type: "openai",
  baseUrl: process.env.LOCAL_BASE_URL ?? "http://127.0.0.1:8001/v1",
  apiKey: process.env.LOCAL_API_KEY ?? "not-needed",
});
console.log(`${local.metadata.name}: tools=${local.metadata.capabilities.tools} embeddings=${local.metadata.capabilities.embeddings}`);

const r = await local.completion({ model: "llama-3.1-8b", messages: [{ role: "user", content: "Hi" }], max_tokens: 50 });
console.log(r.choices[0].message.content);
