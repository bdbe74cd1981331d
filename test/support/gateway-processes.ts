/**
 * Several gateways as separate processes, the way operators run them: each one is the built CLI
 * (`switchboard serve --port 0`) in a working directory of its own (its own ./.switchboard data
 * directory and switchboard.yaml), sharing whatever the environment points them at
 * (DATABASE_URL, REDIS_URL). Every process started here is remembered so `killAll` can end the
 * ones still running, whatever happened in the test.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, startServe, type ServeProcess } from "./cli.js";

export interface GatewayProcess extends ServeProcess {
  /** The process's working directory (config file and ./.switchboard). */
  dir: string;
  /** Whether the process has not exited yet. */
  alive(): boolean;
}

const started: GatewayProcess[] = [];

/** Fails loudly when the CLI has not been built (`npm run build`, done by `npm test`). */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before these tests`);
}

/** Starts one gateway process with `config` as its switchboard.yaml and `env` as its whole environment (PATH added). */
export async function startGatewayProcess(config: Record<string, unknown>, env: Record<string, string>): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), "sb-proc-"));
  // JSON is YAML: the config file is written as JSON.
  writeFileSync(join(dir, "switchboard.yaml"), JSON.stringify(config, null, 2));
  let serve: ServeProcess;
  try {
    serve = await startServe([], { cwd: dir, env });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const proc: GatewayProcess = { ...serve, dir, alive: () => serve.child.exitCode === null && serve.child.signalCode === null };
  started.push(proc);
  return proc;
}

/** Sends SIGTERM and resolves with the exit code once the process has exited. */
export async function terminate(proc: GatewayProcess): Promise<number | null> {
  if (proc.alive()) proc.child.kill("SIGTERM");
  return proc.exited;
}

/** SIGKILLs every process started here that is still running, waits for each, and removes their directories. */
export async function killAll(): Promise<void> {
  const all = started.splice(0);
  await Promise.all(
    all.map(async (p) => {
      if (p.alive()) p.child.kill("SIGKILL");
      await p.exited;
      rmSync(p.dir, { recursive: true, force: true });
    }),
  );
}
