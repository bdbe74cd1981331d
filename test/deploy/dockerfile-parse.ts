/**
 * A small Dockerfile reader for the deployment tests: instructions (comments dropped, `\`
 * continuations joined), grouped into stages, with exec-form (JSON array) arguments decoded.
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  keyword: string;
  /** `--name=value` flags before the arguments (COPY --from=build, HEALTHCHECK --interval=10s). */
  flags: Record<string, string>;
  /** The arguments after the flags, as written. */
  args: string;
  /** The arguments as an array when written in exec form (`["node", "x"]`), else null. */
  exec: string[] | null;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface Stage {
  name: string | null;
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARG instructions before the first FROM. */
  globalArgs: Instruction[];
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const lines = text.split("\n");
  let pending = "";
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (pending === "" && (trimmed === "" || trimmed.startsWith("#"))) continue;
    if (pending !== "" && trimmed.startsWith("#")) continue; // comment lines inside a continuation
    if (pending === "") start = i + 1;
    if (trimmed.endsWith("\\")) {
      pending += trimmed.slice(0, -1) + " ";
      continue;
    }
    pending += trimmed;
    instructions.push(instruction(pending, start));
    pending = "";
  }
  if (pending !== "") throw new Error(`line ${start}: the instruction ends with a continuation`);

  const file: Dockerfile = { globalArgs: [], stages: [] };
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      file.stages.push({ base: m[1], name: m[2] ?? null, instructions: [] });
    } else if (file.stages.length === 0) {
      if (ins.keyword !== "ARG") throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`);
      file.globalArgs.push(ins);
    } else {
      file.stages.at(-1)!.instructions.push(ins);
    }
  }
  return file;
}

function instruction(text: string, line: number): Instruction {
  const m = /^(\S+)\s*(.*)$/s.exec(text)!;
  const keyword = m[1].toUpperCase();
  let rest = m[2].trim();
  const flags: Record<string, string> = {};
  for (;;) {
    const f = /^--([a-z-]+)=(\S+)\s*/.exec(rest);
    if (!f) break;
    flags[f[1]] = f[2]!;
    rest = rest.slice(f[0].length);
  }
  // HEALTHCHECK's arguments are "CMD <command>" (or NONE).
  let args = rest;
  if (keyword === "HEALTHCHECK" && /^CMD\s/i.test(args)) args = args.replace(/^CMD\s+/i, "");
  let exec: string[] | null = null;
  if (args.startsWith("[")) {
    const parsed: unknown = JSON.parse(args);
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) throw new Error(`line ${line}: ${keyword}: not an array of strings`);
    exec = parsed;
  }
  return { keyword, flags, args: keyword === "HEALTHCHECK" ? rest : args, exec, line };
}

/** ENV instructions of a stage as one map (`ENV A=1 B=2` and `ENV A 1`). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions.filter((i) => i.keyword === "ENV")) {
    const pairs = [...ins.args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)];
    if (pairs.length === 0) {
      const [k, ...v] = ins.args.split(/\s+/);
      env[k] = v.join(" ");
    }
    for (const p of pairs) env[p[1]] = p[2].startsWith('"') ? (JSON.parse(p[2]) as string) : p[2];
  }
  return env;
}

/** The last instruction of `keyword` in the stage, or undefined. */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}
