// A batch through the provider's own batch API: a local JSONL file in, results with their usage out.
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBatch, retrieveBatch, retrieveBatchResults } from "switchboard";

const file = join(tmpdir(), "questions.jsonl");
const ask = (id, question) => JSON.stringify({ custom_id: id, method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: question }] } });
await writeFile(file, [ask("q1", "Capital of France?"), ask("q2", "Capital of Peru?")].join("\n") + "\n");

const openai = { provider: "openai", apiKey: process.env.OPENAI_API_KEY, baseUrl: process.env.OPENAI_BASE_URL };
let batch = await createBatch({ ...openai, inputFilePath: file, endpoint: "/v1/chat/completions" });
while (batch.status === "in_progress" || batch.status === "cancelling") {
  await new Promise((r) => setTimeout(r, Number(process.env.POLL_MS ?? 60_000)));
  batch = await retrieveBatch({ ...openai, batchId: batch.id });
}
console.log(`${batch.status}: ${batch.request_counts.completed} of ${batch.request_counts.total}`);

for await (const r of await retrieveBatchResults({ ...openai, batchId: batch.id })) {
  if (r.ok) console.log(`${r.custom_id}: ${r.response.choices[0].message.content} (${r.response.usage.total_tokens} tokens)`);
  else console.log(`${r.custom_id} failed (${r.status}): ${r.error.message}`);
}
