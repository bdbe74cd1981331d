/**
 * OpenAI chat messages → Gemini `contents` + `systemInstruction`. Roles become user/model,
 * assistant tool_calls become functionCall parts, tool results become functionResponse parts
 * (named from the assistant tool call they answer), images become inlineData / fileData.
 */
import { GatewayError } from "../../core/errors.js";
import type { ChatMessage } from "../../wire/openai.js";
import type { GeminiContent, GeminiPart } from "./types.js";

/**
 * Gemini's documented placeholder for a function call whose thought signature is unknown
 * (history written by a client that dropped it, or by another model); Gemini 3 rejects
 * function calls of the current turn that carry none.
 */
export const SKIP_SIGNATURE = "skip_thought_signature_validator";

export interface Translated {
  contents: GeminiContent[];
  system?: { parts: Array<{ text: string }> };
}

interface ToolCallIn {
  id: string;
  function: { name: string; arguments: string };
  extra_content?: { google?: { thought_signature?: string } };
}

export function toContents(messages: ChatMessage[], warnings: string[], label: string, requireSignatures: boolean): Translated {
  const system: Array<{ text: string }> = [];
  const contents: GeminiContent[] = [];
  const names = new Map<string, string>();
  let late = false;

  const push = (role: "user" | "model", parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    switch (m.role) {
      case "system":
      case "developer": {
        if (contents.length > 0 && !late) {
          late = true;
          warnings.push(`${label} takes system instructions once, before the conversation; the ${m.role} message at ${at} was added to systemInstruction`);
        }
        const text = textOf(m.content, at, warnings, label);
        if (text) system.push({ text });
        break;
      }
      case "user":
        push("user", userParts(m.content, at, warnings, label));
        break;
      case "assistant": {
        const parts: GeminiPart[] = [];
        const text = textOf(m.content, at, warnings, label);
        if (text) parts.push({ text });
        const calls = (m.tool_calls ?? []) as ToolCallIn[];
        calls.forEach((tc, j) => {
          names.set(tc.id, tc.function.name);
          const part: GeminiPart = { functionCall: { name: tc.function.name, args: parseArgs(tc.function.arguments, `${at}.tool_calls[${j}]`, warnings) } };
          const signature = tc.extra_content?.google?.thought_signature;
          if (signature) part.thoughtSignature = signature;
          else if (j === 0 && requireSignatures) part.thoughtSignature = SKIP_SIGNATURE;
          parts.push(part);
        });
        push("model", parts);
        break;
      }
      case "tool":
      case "function": {
        const name = m.role === "tool" ? names.get(m.tool_call_id ?? "") : m.name;
        if (!name) {
          throw new GatewayError("invalid_request", `${at}: tool_call_id '${m.tool_call_id ?? ""}' does not match a tool call of an earlier assistant message`, { param: `${at}.tool_call_id` });
        }
        push("user", [{ functionResponse: { name, response: toolResponse(textOf(m.content, at, warnings, label)) } }]);
        break;
      }
    }
  });
  return { contents, system: system.length ? { parts: system } : undefined };
}

/** A tool result as Gemini's response object: a JSON object as is, anything else under "output". */
function toolResponse(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    return { output: v };
  } catch {
    return { output: text };
  }
}

function parseArgs(raw: string, at: string, warnings: string[]): Record<string, unknown> {
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  warnings.push(`${at}.function.arguments is not a JSON object; sent as {"arguments": <text>}`);
  return { arguments: raw };
}

/** Text of system / assistant / tool content; non-text parts there are reported and left out. */
function textOf(content: ChatMessage["content"], at: string, warnings: string[], label: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const texts: string[] = [];
  for (const p of content as Array<Record<string, unknown>>) {
    if (typeof p.text === "string") texts.push(p.text);
    else if (typeof p.refusal === "string") texts.push(p.refusal);
    else warnings.push(`${label} accepts only text in ${at}; a '${String(p.type)}' part was left out`);
  }
  return texts.join("\n");
}

/** A user content part as far as this adapter reads it; the values come from the client and are checked before use. */
interface UserPart {
  type: string;
  text?: unknown;
  image_url?: { url?: unknown; detail?: unknown };
  input_audio?: { data?: unknown; format?: unknown };
  file?: { file_data?: unknown };
}

function userParts(content: ChatMessage["content"], at: string, warnings: string[], label: string): GeminiPart[] {
  if (typeof content === "string") return [{ text: content }];
  if (!Array.isArray(content)) return [];
  const parts: GeminiPart[] = [];
  (content as UserPart[]).forEach((p, j) => {
    const where = `${at}.content[${j}]`;
    if (p.type === "text" && typeof p.text === "string") parts.push({ text: p.text });
    else if (p.type === "image_url" && typeof p.image_url?.url === "string") {
      const detail = p.image_url.detail;
      if (detail !== undefined && detail !== "auto") {
        warnings.push(`${where}: image detail ${typeof detail === "string" ? `'${detail}'` : JSON.stringify(detail)} is not supported by ${label}; ignored`);
      }
      parts.push(mediaPart(p.image_url.url, where, warnings, label));
    } else if (p.type === "input_audio" && typeof p.input_audio?.data === "string") {
      parts.push({ inlineData: { mimeType: `audio/${p.input_audio.format === "mp3" ? "mp3" : "wav"}`, data: p.input_audio.data } });
    } else if (p.type === "file" && typeof p.file?.file_data === "string") {
      parts.push(mediaPart(p.file.file_data, where, warnings, label));
    } else warnings.push(`${where}: content part type '${String(p.type)}' is not supported by ${label}; left out`);
  });
  return parts;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
};

/** A data URL becomes inlineData; any other URL becomes fileData (Gemini fetches it). */
function mediaPart(url: string, where: string, warnings: string[], label: string): GeminiPart {
  const m = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (m) {
    const mimeType = m[1] || "application/octet-stream";
    const base64 = /;base64/i.test(m[2]);
    const data = base64 ? m[3] : Buffer.from(decodeURIComponent(m[3]), "utf8").toString("base64");
    return { inlineData: { mimeType, data } };
  }
  const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  let mimeType = ext ? MIME_BY_EXTENSION[ext] : undefined;
  if (!mimeType) {
    mimeType = "image/jpeg";
    warnings.push(`${where}: ${label} needs the media type of a file URL and none could be told from the URL; sent as image/jpeg`);
  }
  return { fileData: { mimeType, fileUri: url } };
}
