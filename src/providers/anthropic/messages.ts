/**
 * OpenAI chat messages → Anthropic `system` + `messages`.
 *
 * - system / developer messages become the top-level `system` (Anthropic has no system role in
 *   the 2023-06-01 message list); one that appears after the conversation started is hoisted
 *   too, with a warning.
 * - assistant `tool_calls` become `tool_use` blocks; `tool` messages become `tool_result` blocks
 *   in a user message (consecutive results share one user message, results first).
 * - consecutive messages of the same role are merged into one turn.
 * - images: https URLs → `{"type":"url"}` sources, data URLs → `{"type":"base64"}` sources;
 *   PDF data URLs in `file` parts → `document` blocks.
 * - `cache_control` on a content part is kept; on a message it goes on the message's last block.
 * - assistant `thinking_blocks` (as returned by this adapter) are sent back before the text, as
 *   Anthropic requires when continuing a tool-use turn with extended thinking.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatMessage } from "../../wire/openai.js";
import type { CacheControl, NativeBlock, NativeMessage } from "./native.js";

export interface ConvertedMessages {
  system?: string | NativeBlock[];
  messages: NativeMessage[];
}

type Part = { type: string; [k: string]: unknown };

function invalid(message: string, param: string): GatewayError {
  return new GatewayError("invalid_request", message, { param });
}

export function convertMessages(input: ChatMessage[], warnings: string[]): ConvertedMessages {
  const system: NativeBlock[] = [];
  const out: NativeMessage[] = [];
  let warnedName = false;
  let warnedLateSystem = false;

  input.forEach((m, i) => {
    const at = `messages[${i}]`;
    const cache = (m as { cache_control?: CacheControl }).cache_control;
    if (m.name !== undefined && m.role !== "tool" && !warnedName) {
      warnings.push("messages[].name is not supported by anthropic; ignored");
      warnedName = true;
    }
    switch (m.role) {
      case "system":
      case "developer": {
        if (out.length > 0 && !warnedLateSystem) {
          warnings.push(`${m.role} messages after the first user/assistant turn are not supported by anthropic; moved to the top-level system prompt`);
          warnedLateSystem = true;
        }
        system.push(...withCache(textBlocks(m.content, at), cache));
        return;
      }
      case "user":
        return push(out, "user", withCache(userBlocks(m.content, at, warnings), cache));
      case "assistant":
        return push(out, "assistant", withCache(assistantBlocks(m, at), cache));
      case "tool": {
        if (!m.tool_call_id) throw invalid(`${at}.tool_call_id is required for tool messages`, `${at}.tool_call_id`);
        const result: NativeBlock = { type: "tool_result", tool_use_id: m.tool_call_id };
        const content = toolResultContent(m.content, at, warnings);
        if (content !== undefined) result.content = content;
        return push(out, "user", withCache([result], cache));
      }
      default:
        throw invalid(`${at}: role "${m.role}" is not supported by anthropic; send tool results as role "tool"`, `${at}.role`);
    }
  });

  return { ...(system.length ? { system: systemValue(system) } : {}), messages: out.map(finish) };
}

/** Appends a turn, merging it into the previous one when the role is the same. */
function push(out: NativeMessage[], role: "user" | "assistant", blocks: NativeBlock[]): void {
  if (blocks.length === 0) return; // an empty turn carries nothing (e.g. assistant content "")
  const last = out.at(-1);
  if (last && last.role === role) {
    (last.content as NativeBlock[]).push(...blocks);
    return;
  }
  out.push({ role, content: blocks });
}

/** Tool results first in a user turn (Anthropic's rule); a lone text block becomes a string. */
function finish(m: NativeMessage): NativeMessage {
  let blocks = m.content as NativeBlock[];
  if (m.role === "user" && blocks.some((b) => b.type === "tool_result")) {
    blocks = [...blocks.filter((b) => b.type === "tool_result"), ...blocks.filter((b) => b.type !== "tool_result")];
  }
  const only = blocks[0];
  if (blocks.length === 1 && only?.type === "text" && Object.keys(only).length === 2) return { role: m.role, content: only.text as string };
  return { role: m.role, content: blocks };
}

function systemValue(blocks: NativeBlock[]): string | NativeBlock[] {
  if (blocks.some((b) => b.cache_control)) return blocks;
  return blocks.map((b) => b.text as string).join("\n\n");
}

function withCache(blocks: NativeBlock[], cache: CacheControl | undefined): NativeBlock[] {
  const last = blocks.at(-1);
  if (cache && last) blocks[blocks.length - 1] = { ...last, cache_control: cache };
  return blocks;
}

function parts(content: ChatMessage["content"]): Part[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  return content;
}

function textBlock(p: Part): NativeBlock {
  const b: NativeBlock = { type: "text", text: typeof p.text === "string" ? p.text : "" };
  if (p.cache_control) b.cache_control = p.cache_control as CacheControl;
  return b;
}

function textBlocks(content: ChatMessage["content"], at: string): NativeBlock[] {
  return parts(content).map((p, j) => {
    if (p.type !== "text") throw invalid(`${at}.content[${j}]: only text parts are allowed in system messages`, `${at}.content`);
    return textBlock(p);
  });
}

function userBlocks(content: ChatMessage["content"], at: string, warnings: string[]): NativeBlock[] {
  return parts(content).map((p, j) => userPart(p, `${at}.content[${j}]`, warnings));
}

function userPart(p: Part, at: string, warnings: string[]): NativeBlock {
  switch (p.type) {
    case "text":
      return textBlock(p);
    case "image_url":
      return imageBlock(p, at, warnings);
    case "file":
      return documentBlock(p, at);
    case "input_audio":
      throw invalid(`${at}: audio input is not supported by anthropic`, at);
    default:
      return p; // Anthropic-native blocks (document, search_result, ...) pass through
  }
}

function imageBlock(p: Part, at: string, warnings: string[]): NativeBlock {
  const spec = p.image_url as string | { url?: string; detail?: string } | undefined;
  const url = typeof spec === "string" ? spec : spec?.url;
  if (typeof spec === "object" && spec?.detail && spec.detail !== "auto") warnings.push("image_url.detail is not supported by anthropic; ignored");
  if (!url) throw invalid(`${at}.image_url.url is required`, at);
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  let source: Record<string, unknown>;
  if (data) source = { type: "base64", media_type: data[1], data: data[2] };
  else if (/^https?:\/\//i.test(url)) source = { type: "url", url };
  else throw invalid(`${at}.image_url.url must be an http(s) URL or a base64 data URL`, at);
  const b: NativeBlock = { type: "image", source };
  if (p.cache_control) b.cache_control = p.cache_control as CacheControl;
  return b;
}

function documentBlock(p: Part, at: string): NativeBlock {
  const file = (p.file ?? {}) as { file_data?: string; filename?: string };
  const data = file.file_data ? /^data:(application\/pdf);base64,(.*)$/s.exec(file.file_data) : null;
  if (!data) throw invalid(`${at}: anthropic accepts file parts only as a PDF data URL in file.file_data`, at);
  const b: NativeBlock = { type: "document", source: { type: "base64", media_type: data[1], data: data[2] } };
  if (file.filename) b.title = file.filename;
  if (p.cache_control) b.cache_control = p.cache_control as CacheControl;
  return b;
}

function assistantBlocks(m: ChatMessage, at: string): NativeBlock[] {
  const blocks: NativeBlock[] = [];
  const thinking = (m as { thinking_blocks?: unknown }).thinking_blocks;
  if (Array.isArray(thinking)) {
    for (const t of thinking as Part[]) if (t?.type === "thinking" || t?.type === "redacted_thinking") blocks.push(t);
  }
  parts(m.content).forEach((p, j) => {
    if (p.type === "text") blocks.push(textBlock(p));
    else if (p.type === "refusal") blocks.push({ type: "text", text: typeof p.refusal === "string" ? p.refusal : "" });
    else throw invalid(`${at}.content[${j}]: assistant content part "${p.type}" is not supported by anthropic`, `${at}.content`);
  });
  (m.tool_calls ?? []).forEach((tc, j) => {
    blocks.push({ type: "tool_use", id: tc.id, name: tc.function.name, input: parseArguments(tc.function.arguments, `${at}.tool_calls[${j}].function.arguments`) });
  });
  return blocks.filter((b) => !(b.type === "text" && b.text === "" && !b.cache_control));
}

function parseArguments(args: string, at: string): unknown {
  if (args.trim() === "") return {};
  try {
    const v: unknown = JSON.parse(args);
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
  } catch {
    /* reported below */
  }
  throw invalid(`${at} must be a JSON object for anthropic`, at);
}

function toolResultContent(content: ChatMessage["content"], at: string, warnings: string[]): string | NativeBlock[] | undefined {
  if (typeof content === "string") return content === "" ? undefined : content;
  const blocks = userBlocks(content, at, warnings);
  return blocks.length ? blocks : undefined;
}
