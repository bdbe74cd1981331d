import type { ChatChunk } from "../../wire/openai.js";
import { streamEvent as openAIStreamEvent } from "../openai/stream.js";
import type { StreamState } from "../types.js";
import { RAW_JSON } from "../../wire/raw.js";

/**
 * Azure streams OpenAI chunks plus annotation-only chunks: the first one usually carries just
 * `prompt_filter_results` (with `choices: []`, empty id and model), and asynchronous content
 * filtering adds choices without a `delta`. Annotation-only chunks are dropped so the stream
 * starts with the role chunk, as OpenAI's does; a missing `delta` becomes `{}`.
 */
export function streamEvent(event: { event?: string; data: string }, state: StreamState): ChatChunk[] | "done" {
  const out = openAIStreamEvent(event, state);
  if (out === "done") return out;
  const kept: ChatChunk[] = [];
  for (const c of out) {
    if (c.choices.length === 0 && !c.usage) continue;
    for (const ch of c.choices) {
      if (ch.delta) continue;
      ch.delta = {};
      RAW_JSON.delete(c); // changed: serialised again
    }
    kept.push(c);
  }
  return kept;
}
