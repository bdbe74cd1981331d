/**
 * Child processes of the benchmark: spawn (optionally pinned to a CPU with taskset), wait for a
 * JSON line, sample CPU time and peak RSS from /proc, and kill them all at the end, on error or
 * on SIGINT/SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";

export interface SpawnOptions {
  env: Record<string, string>;
  /** CPU to pin the child to (ignored when pinning is unavailable). */
  cpu?: number;
  /** Append stdout and stderr to this file instead of piping stdout. */
  logFile?: string;
  /** Written to the child's stdin, which is then closed. */
  stdin?: string;
}

export class ProcessGroup {
  readonly children = new Set<ChildProcess>();
  readonly pinning: boolean;

  constructor(pin = true) {
    this.pinning = pin && canPin();
  }

  spawn(command: string, args: string[], o: SpawnOptions): ChildProcess {
    const pinned = this.pinning && o.cpu !== undefined;
    const file = pinned ? "taskset" : command;
    const argv = pinned ? ["-c", String(o.cpu), command, ...args] : args;
    const fd = o.logFile ? openSync(o.logFile, "a") : undefined;
    const child = spawn(file, argv, {
      env: o.env,
      stdio: [o.stdin !== undefined ? "pipe" : "ignore", fd ?? "pipe", fd ?? "pipe"],
    });
    if (fd !== undefined) closeSync(fd);
    if (o.stdin !== undefined) child.stdin?.end(o.stdin);
    child.stderr?.setEncoding("utf8");
    let stderr = "";
    child.stderr?.on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
    Object.defineProperty(child, "stderrTail", { get: () => stderr });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** Runs a command to completion (killed after `timeoutMs`): exit code, stdout, stderr tail. */
  run(command: string, args: string[], o: SpawnOptions & { timeoutMs: number }) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = this.spawn(command, args, o);
      let stdout = "";
      c.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      const t = setTimeout(() => c.kill("SIGKILL"), o.timeoutMs);
      c.on("error", (e) => {
        clearTimeout(t);
        resolve({ code: -1, stdout, stderr: String(e) });
      });
      c.on("close", (code) => {
        clearTimeout(t);
        resolve({ code, stdout, stderr: stderrTail(c) });
      });
    });
  }

  /** SIGTERM everything, SIGKILL what is still alive after `graceMs`. */
  async killAll(graceMs = 5000): Promise<void> {
    const alive = [...this.children].filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
      alive.map(
        (c) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              c.kill("SIGKILL");
              resolve();
            }, graceMs);
            c.once("exit", () => {
              clearTimeout(t);
              resolve();
            });
            c.kill("SIGTERM");
          }),
      ),
    );
  }

  /** Synchronous last resort (process 'exit' and signal handlers). */
  killAllNow(): void {
    for (const c of this.children) c.kill("SIGKILL");
  }
}

export function stderrTail(child: ChildProcess): string {
  return (child as unknown as { stderrTail?: string }).stderrTail ?? "";
}

function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  const r = spawnSync("taskset", ["-c", "1", "true"], { stdio: "ignore", timeout: 5000 });
  return r.status === 0;
}

/** Resolves with the first stdout line that parses as a JSON object and satisfies `accept`. */
export function waitForJsonLine<T>(child: ChildProcess, accept: (v: Readonly<Record<string, unknown>>) => boolean, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (!child.stdout) return reject(new Error(`${what}: no stdout`));
    const rl = createInterface({ input: child.stdout });
    const timer = setTimeout(() => fail(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`${what} exited (${signal ?? code}) before answering. ${stderrTail(child).trim()}`));
    function fail(e: Error) {
      clearTimeout(timer);
      rl.close();
      child.off("close", onExit);
      reject(e);
    }
    child.once("close", onExit);
    rl.on("line", (line) => {
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof v !== "object" || v === null || !accept(v as Record<string, unknown>)) return;
      clearTimeout(timer);
      child.off("close", onExit);
      rl.removeAllListeners("line");
      resolve(v as T);
    });
  });
}

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 5000 });
    clkTck = Number(r.stdout?.trim()) || 100;
  }
  return clkTck;
}

/** User + system CPU time of a process in milliseconds (from /proc/<pid>/stat), or NaN. */
export function cpuTimeMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/** Busy time of one CPU since boot in milliseconds (from /proc/stat; includes steal), or NaN. */
export function cpuBusyMs(cpu: number): number {
  try {
    const line = readFileSync("/proc/stat", "utf8")
      .split("\n")
      .find((l) => l.startsWith(`cpu${cpu} `));
    if (!line) return NaN;
    // user nice system idle iowait irq softirq steal …
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user + nice + system + irq + softirq + (steal || 0)) * 1000) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/** Peak resident set size (VmHWM) in MB, or NaN. */
export function peakRssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Memory of the embedded store's PostgreSQL server started by the gateway `pid`: the sum of the
 * PSS (/proc/<pid>/smaps_rollup: shared pages split among the processes that map them) of the
 * postmaster and every process under it, in MB. 0 when the gateway has no such server (it uses
 * PostgreSQL elsewhere); NaN when /proc cannot tell.
 */
export function embeddedServerPssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const postmasters = childrenOf(pid).filter((c) => comm(c) === "postgres");
    let kb = 0;
    for (const pm of postmasters) for (const p of [pm, ...descendants(pm)]) kb += pssKb(p);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

/**
 * Lets the embedded store's PostgreSQL server (the postmaster under the gateway `pid`, its
 * processes, and the backends it forks later) run on every CPU: started by a gateway pinned to
 * one CPU it inherits that pin, and would then compete with the gateway for its core, which no
 * deployment does (and a PostgreSQL server elsewhere, which the bench compares it with, does
 * not). Returns how many processes were changed.
 */
export function unpinEmbeddedServer(pid: number | undefined): number {
  if (!pid) return 0;
  let changed = 0;
  for (const pm of childrenOf(pid).filter((c) => comm(c) === "postgres")) {
    for (const p of [pm, ...descendants(pm)]) {
      if (spawnSync("taskset", ["-a", "-p", "-c", `0-${availableParallelism() - 1}`, String(p)], { stdio: "ignore", timeout: 5000 }).status === 0) changed++;
    }
  }
  return changed;
}

function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

function descendants(pid: number): number[] {
  return childrenOf(pid).flatMap((c) => [c, ...descendants(c)]);
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // exited meanwhile
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Pins the threads of a process on this machine (a local Redis server) to `cpu` with taskset,
 * as the upstream and the load are: left on any CPU, the kernel wakes it on the gateway's core
 * each time the gateway writes to it, and it takes that core from the process measured. Returns
 * how to restore its previous CPUs, or undefined when it could not be pinned (not ours to change,
 * taskset missing).
 */
export function pinProcess(pid: number, cpu: number): (() => void) | undefined {
  const before = spawnSync("taskset", ["-p", "-c", String(pid)], { encoding: "utf8", timeout: 5000 });
  const list = /list:\s*(\S+)/.exec(before.stdout ?? "")?.[1];
  if (before.status !== 0 || !list) return undefined;
  if (spawnSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore", timeout: 5000 }).status !== 0) return undefined;
  return () => void spawnSync("taskset", ["-a", "-p", "-c", list, String(pid)], { stdio: "ignore", timeout: 5000 });
}
