/**
 * OpenAI chat messages → Converse `system` + `messages`. Converse takes system prompts at the
 * top level, only `user` and `assistant` roles, alternating (consecutive messages of one role are
 * merged), images as base64 bytes only, and tool results as `toolResult` blocks in a user message.
 * Assistant `thinking_blocks` become `reasoningContent` blocks ahead of the text.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatMessage } from "../../wire/openai.js";
import type { ContentBlock, ImageBlock, ImageFormat, Message, ToolResultContent } from "./native.js";

export interface TranslatedMessages {
  system: Array<{ text: string }>;
  messages: Message[];
  /** Whether any toolUse / toolResult block was sent (Bedrock then requires a toolConfig). */
  usesTools: boolean;
}

type Part = { type: string; text?: unknown; refusal?: unknown; image_url?: { url?: unknown; detail?: unknown } | string };

const IMAGE_FORMATS: Record<string, ImageFormat> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

const invalid = (message: string, param: string) => new GatewayError("invalid_request", message, { param });

export function toMessages(input: ChatMessage[], warnings: string[]): TranslatedMessages {
  const out: TranslatedMessages = { system: [], messages: [], usesTools: false };
  let seenConversation = false;
  let warnedName = false;
  let warnedLateSystem = false;

  const push = (role: Message["role"], content: ContentBlock[]) => {
    if (content.length === 0) return;
    const last = out.messages.at(-1);
    if (last && last.role === role) last.content.push(...content);
    else out.messages.push({ role, content });
  };

  input.forEach((m, i) => {
    if (m.name !== undefined && !warnedName) {
      warnedName = true;
      warnings.push("message name is not supported by bedrock; ignored");
    }
    switch (m.role) {
      case "system":
      case "developer": {
        if (seenConversation && !warnedLateSystem) {
          warnedLateSystem = true;
          warnings.push(`bedrock takes system prompts only before the conversation; the ${m.role} message at messages[${i}] was moved there`);
        }
        const text = textOf(m.content, `messages[${i}].content`);
        if (text) out.system.push({ text });
        return;
      }
      case "user":
        seenConversation = true;
        push("user", userContent(m.content, i, warnings));
        return;
      case "assistant": {
        seenConversation = true;
        const content: ContentBlock[] = thinkingBlocks(m);
        const text = textOf(m.content, `messages[${i}].content`);
        if (text) content.push({ text });
        (m.tool_calls ?? []).forEach((tc, j) => {
          out.usesTools = true;
          content.push({ toolUse: { toolUseId: tc.id, name: tc.function.name, input: parseArguments(tc.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`) } });
        });
        push("assistant", content);
        return;
      }
      case "tool": {
        seenConversation = true;
        if (!m.tool_call_id) throw invalid(`messages[${i}]: a tool message needs tool_call_id`, `messages[${i}].tool_call_id`);
        out.usesTools = true;
        push("user", [{ toolResult: { toolUseId: m.tool_call_id, content: toolResultContent(m.content, i) } }]);
        return;
      }
      default:
        throw invalid(`messages[${i}]: role "${m.role}" is not supported by bedrock; use tool messages for function results`, `messages[${i}].role`);
    }
  });
  return out;
}

/** The text of a string or of text parts (system prompts, assistant turns). */
function textOf(content: ChatMessage["content"], param: string): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return (content as Part[])
    .map((p) => {
      if (p.type === "text" && typeof p.text === "string") return p.text;
      if (p.type === "refusal" && typeof p.refusal === "string") return p.refusal;
      throw invalid(`${param}: content part type "${p.type}" is not supported here by bedrock`, param);
    })
    .join("");
}

function userContent(content: ChatMessage["content"], i: number, warnings: string[]): ContentBlock[] {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return [{ text: content }];
  return (content as Part[]).map((p, j): ContentBlock => {
    const param = `messages[${i}].content[${j}]`;
    if (p.type === "text" && typeof p.text === "string") return { text: p.text };
    if (p.type === "image_url") return { image: imageBlock(p, param, warnings) };
    throw invalid(`${param}: content part type "${p.type}" is not supported by bedrock`, param);
  });
}

function imageBlock(p: Part, param: string, warnings: string[]): ImageBlock {
  const ref = typeof p.image_url === "string" ? { url: p.image_url } : p.image_url;
  const url = typeof ref?.url === "string" ? ref.url : "";
  if (ref && "detail" in ref && ref.detail !== undefined && ref.detail !== "auto") {
    warnings.push(`image_url.detail ${JSON.stringify(ref.detail)} is not supported by bedrock; ignored`);
  }
  const m = /^data:([^;,]+)((?:;[^;,]*)*);base64,(.*)$/s.exec(url);
  if (!m) {
    if (/^https?:/i.test(url)) {
      throw invalid(`${param}: bedrock accepts images only as bytes, not as URLs; send the image as a base64 data URL (data:image/png;base64,...)`, `${param}.image_url.url`);
    }
    throw invalid(`${param}: image_url.url must be a base64 data URL (data:image/png;base64,...)`, `${param}.image_url.url`);
  }
  const format = IMAGE_FORMATS[m[1].toLowerCase()];
  if (!format) throw invalid(`${param}: image type ${m[1]} is not supported by bedrock (png, jpeg, gif, webp)`, `${param}.image_url.url`);
  return { format, source: { bytes: m[3] } };
}

function toolResultContent(content: ChatMessage["content"], i: number): ToolResultContent[] {
  if (content === null || content === undefined) return [{ text: "" }];
  if (typeof content === "string") return [{ text: content }];
  return (content as Part[]).map((p, j): ToolResultContent => {
    const param = `messages[${i}].content[${j}]`;
    if (p.type === "text" && typeof p.text === "string") return { text: p.text };
    if (p.type === "image_url") return { image: imageBlock(p, param, []) };
    throw invalid(`${param}: content part type "${p.type}" is not supported in tool results by bedrock`, param);
  });
}

/** Assistant `thinking_blocks` (as this adapter returns them) go back first, as Claude requires with thinking + tools. */
function thinkingBlocks(m: ChatMessage): ContentBlock[] {
  const blocks = (m as { thinking_blocks?: unknown }).thinking_blocks;
  if (!Array.isArray(blocks)) return [];
  const out: ContentBlock[] = [];
  for (const b of blocks as Array<{ type?: string; thinking?: unknown; signature?: unknown; data?: unknown }>) {
    if (b?.type === "thinking" && typeof b.thinking === "string") {
      out.push({ reasoningContent: { reasoningText: { text: b.thinking, ...(typeof b.signature === "string" ? { signature: b.signature } : {}) } } });
    } else if (b?.type === "redacted_thinking" && typeof b.data === "string") {
      out.push({ reasoningContent: { redactedContent: b.data } });
    }
  }
  return out;
}

function parseArguments(args: string, param: string): unknown {
  if (args.trim() === "") return {};
  try {
    return JSON.parse(args);
  } catch {
    throw invalid(`${param} is not valid JSON; bedrock needs tool call arguments as a JSON object`, param);
  }
}
