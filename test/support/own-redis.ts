/**
 * A redis-server of the test's own on a free loopback port, which the test may stop (SIGKILL)
 * and start again; the shared test Redis is never touched. Null when `redis-server` is not
 * installed, and then with CI=true a loud failure instead.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export interface OwnRedis {
  url: string;
  start(): Promise<void>;
  /** SIGKILL: clients see the connection drop, as when a Redis host dies. */
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: the connection stays up but nothing is answered meanwhile, as with a hung or unreachable host. */
  pause(): void;
  resume(): void;
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** `extraArgs`: more redis-server options (e.g. `--requirepass`). */
export async function ownRedis(extraArgs: readonly string[] = []): Promise<OwnRedis | null> {
  if (spawnSync("redis-server", ["--version"]).status !== 0) {
    if (process.env.CI === "true") throw new Error("redis-server is not installed (CI=true: it is required)");
    console.warn("[tests] redis-server is not installed — skipping the tests that stop and restart Redis.");
    return null;
  }
  const port = await freePort();
  let child: ChildProcess | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const c = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs], { stdio: ["ignore", "pipe", "ignore"] });
      child = c;
      await new Promise<void>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => {
          c.kill("SIGKILL");
          reject(new Error(`redis-server on port ${port} did not start in 10 s:\n${out}`));
        }, 10_000);
        c.stdout.on("data", (d) => {
          out += d;
          if (out.includes("Ready to accept connections")) {
            clearTimeout(timer);
            resolve();
          }
        });
        c.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`redis-server on port ${port} exited with ${code}:\n${out}`));
        });
      });
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      c.kill("SIGCONT"); // a paused server dies only once it runs again
      await exited;
    },
  };
}
