// A completion and a stream from the built-in mock provider: no keys, no network.
import { completion } from "switchboard";

const messages = [{ role: "user", content: "Hello, library" }];

const r = await completion({ model: "mock:mock-1", messages });
console.log(r.choices[0].message.content);
console.log(`tokens: ${r.usage.prompt_tokens} in, ${r.usage.completion_tokens} out`);

let text = "";
for await (const chunk of await completion({ model: "mock:mock-1", messages, stream: true })) {
  text += chunk.choices[0]?.delta?.content ?? "";
}
console.log(`streamed: ${text}`);
