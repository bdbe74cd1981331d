/** Deterministic answers of the mock provider: the same request always gets the same reply. */
import { contentText } from "../../core/tokens.js";
import type { ChatRequest, ToolCall } from "../../wire/openai.js";
import { schemaInstance } from "./schema-instance.js";

export function replyText(req: ChatRequest): string {
  const final = req.messages[req.messages.length - 1];
  if (final?.role === "tool") return `The tool returned: ${contentText(final.content)}`;
  const last = [...req.messages].reverse().find((m) => m.role === "user");
  const said = contentText(last?.content).replace(/\s+/g, " ").trim();
  const quoted = said.length > 80 ? said.slice(0, 77) + "..." : said;
  if (req.response_format?.type === "json_schema") {
    // A deterministic instance of the requested schema, as a model in structured-output mode answers.
    const spec = (req.response_format as { json_schema?: { schema?: unknown } }).json_schema;
    return JSON.stringify(schemaInstance(spec?.schema));
  }
  if (req.response_format?.type === "json_object") return JSON.stringify({ reply: "mock", echo: quoted });
  return quoted ? `This is a mock response to: ${quoted}` : "This is a mock response.";
}

/** Which tool the mock calls, if any: the named one, or the first when tool_choice allows calls. */
export function chosenTool(req: ChatRequest): { name: string; parameters: unknown } | null {
  const tools = (req.tools ?? []).filter((t) => t.type === "function" && t.function);
  if (!tools.length || req.tool_choice === "none") return null;
  // After a tool result the mock answers in text, as a model would.
  if (req.messages[req.messages.length - 1]?.role === "tool") return null;
  const named = typeof req.tool_choice === "object" ? (req.tool_choice as { function?: { name?: string } }).function?.name : undefined;
  const t = (named && tools.find((x) => x.function!.name === named)) || tools[0];
  return { name: t.function!.name, parameters: (t.function as { parameters?: unknown }).parameters };
}

export function mockToolCall(tool: { name: string; parameters: unknown }, seq: number): ToolCall {
  return { id: `call_mock_${seq}`, type: "function", function: { name: tool.name, arguments: JSON.stringify(schemaInstance(tool.parameters)) } };
}

/** Splits text into word-sized stream pieces (keeping the spaces), deterministic. */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [text];
}

/** A unit vector derived from the text (FNV-1a seeded), so equal inputs embed equally. */
export function mockEmbedding(text: string, dims: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  const v: number[] = [];
  for (let i = 0; i < dims; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 3266489909) >>> 0;
    v.push((h / 0xffffffff) * 2 - 1);
  }
  const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
  return v.map((x) => Number((x / norm).toFixed(6)));
}
