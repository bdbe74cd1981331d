/** Tools for the library: OpenAI tool objects, or `tool({ description, parameters: zodSchema, execute })`. */
import { z } from "zod";

export interface OpenAITool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export interface ExecutableTool<Args = unknown, Result = unknown> {
  description?: string;
  parameters: z.ZodType<Args>;
  execute?: (args: Args) => Result | Promise<Result>;
}

/** Declares a tool with a zod schema for its arguments; `execute` lets `completion` run it. */
export function tool<Args, Result>(def: ExecutableTool<Args, Result>): ExecutableTool<Args, Result> {
  return def;
}

/**
 * A tool of any argument and result types. `Args` is both read (the schema's output) and written
 * (execute's parameter), so tools of different types only meet under `any`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: no other type holds tools of different argument types
type AnyTool = ExecutableTool<any, any>;

export type ToolsInput = OpenAITool[] | Record<string, AnyTool>;

/** OpenAI tool objects for the wire, and the executors by name. */
export function normaliseTools(tools: ToolsInput | undefined): { wire?: OpenAITool[]; executors: Map<string, AnyTool> } {
  const executors = new Map<string, AnyTool>();
  if (!tools) return { executors };
  if (Array.isArray(tools)) return { wire: tools, executors };
  const wire: OpenAITool[] = Object.entries(tools).map(([name, t]) => {
    executors.set(name, t);
    const schema = z.toJSONSchema(t.parameters as z.ZodType, { target: "draft-7" }) as Record<string, unknown>;
    delete schema.$schema;
    return { type: "function", function: { name, ...(t.description ? { description: t.description } : {}), parameters: schema } };
  });
  return { wire, executors };
}

/** Runs one tool call: arguments validated with the tool's schema; the result becomes the tool message. */
export async function runTool<Args, Result>(t: ExecutableTool<Args, Result>, rawArgs: string): Promise<string> {
  let parsed: unknown;
  try {
    parsed = rawArgs ? JSON.parse(rawArgs) : {};
  } catch {
    return JSON.stringify({ error: "arguments are not valid JSON" });
  }
  const args = t.parameters.safeParse(parsed);
  if (!args.success) return JSON.stringify({ error: `invalid arguments: ${args.error.issues.map((i) => i.message).join("; ")}` });
  const result = await t.execute!(args.data);
  return typeof result === "string" ? result : JSON.stringify(result);
}
