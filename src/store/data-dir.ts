/**
 * Making the data directory. Node's own `mkdir(…, { recursive: true })` never returns on a path
 * such as `/proc/switchboard` (the kernel answers ENOENT for a directory whose parent exists, and
 * Node retries the parent forever, at 100 % CPU): this makes each missing level once, bounded by
 * the path's depth, and reports what went wrong in one line naming the setting.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** One start-up problem, told in one line (the message); printed without a stack trace. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}

/**
 * Makes `dir` (and its missing parents) unless it is there. Returns true when this call made
 * `dir` itself. `shownAs` names it in errors (the data dir as the user gave it).
 */
export function ensureDirectory(dir: string, shownAs: string = dir): boolean {
  const path = resolve(dir);
  const missing: string[] = [];
  // Walk up to the first level that exists (at most the path's depth).
  for (let p = path; ; p = dirname(p)) {
    const kind = kindOf(p, shownAs);
    if (kind === "directory") break;
    if (kind === "other") {
      throw new StartupError(p === path ? `data_dir ${shownAs} is a file, not a directory` : `data_dir ${shownAs}: ${p} is a file, not a directory`);
    }
    missing.push(p);
    if (dirname(p) === p) break; // the root itself is missing: mkdir below says why
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p, { mode: 0o700 });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === "EEXIST" && kindOf(p, shownAs) === "directory") continue; // made meanwhile
      throw new StartupError(`data_dir ${shownAs} could not be created: ${reason(err)}${p === path ? "" : ` (at ${p})`}`);
    }
  }
  return missing.length > 0;
}

function kindOf(p: string, shownAs: string): "directory" | "other" | "missing" {
  try {
    return statSync(p).isDirectory() ? "directory" : "other";
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return "missing"; // ENOTDIR: a file further up, found by the walk
    throw new StartupError(`data_dir ${shownAs} cannot be used: ${reason(err)}`);
  }
}

/** The system's reason in words, with its code. */
export function reason(err: NodeJS.ErrnoException): string {
  const words: Record<string, string> = {
    ENOENT: "the file system refused it (no such file or directory)",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
    ENOTDIR: "a part of the path is not a directory",
    ELOOP: "too many symbolic links",
    ENAMETOOLONG: "the path is too long",
    EEXIST: "something that is not a directory is in the way (a broken symbolic link?)",
  };
  const code = err.code ?? "error";
  return `${words[code] ?? err.message} (${code})`;
}
