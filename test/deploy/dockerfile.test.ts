/**
 * The Dockerfile, read as Docker reads it, and its runtime stage's essential steps played out on
 * this machine (no container engine here): the deps stage's commands run in a temporary folder,
 * the gateway is started with the image's ENTRYPOINT, CMD and ENV as the image's unprivileged
 * user would be, its HEALTHCHECK command is run against it, and SIGTERM stops it cleanly.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { last, parseDockerfile, stageEnv, type Stage } from "./dockerfile-parse.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const text = readFileSync(join(root, "Dockerfile"), "utf8");
const file = parseDockerfile(text);
const final = file.stages.at(-1)!;
const stage = (name: string): Stage => {
  const s = file.stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage named ${name}`);
  return s;
};
const workdir = (s: Stage): string => last(s, "WORKDIR")?.args ?? "/";

describe("Dockerfile rules", () => {
  it("is multi-stage: build runs npm ci and npm run build, the runtime stage installs nothing of dev", () => {
    expect(file.stages.map((s) => s.name)).toEqual(["build", "deps", "runtime"]);
    const build = stage("build")
      .instructions.filter((i) => i.keyword === "RUN")
      .map((i) => i.args);
    expect(build.some((r) => /^npm ci\b/.test(r))).toBe(true);
    expect(build).toContain("npm run build");
    const deps = stage("deps")
      .instructions.filter((i) => i.keyword === "RUN")
      .map((i) => i.args)
      .join(" && ");
    expect(deps).toMatch(/npm ci --omit=dev\b/);
    // Optional dependencies carry the embedded store's PostgreSQL: they must not be left out.
    expect(deps).not.toMatch(/--omit=optional|--no-optional/);
    expect(
      final.instructions
        .filter((i) => i.keyword === "RUN")
        .map((i) => i.args)
        .join(" "),
    ).not.toMatch(/npm (ci|install)/);
  });

  it("runs the final stage as a user that is not root", () => {
    const user = last(final, "USER");
    expect(user).toBeDefined();
    expect(user!.args.split(":")[0]).not.toMatch(/^(root|0)$/);
  });

  it("runs node dist/cli/main.js serve in exec form, never npm start", () => {
    const entry = last(final, "ENTRYPOINT");
    const cmd = last(final, "CMD");
    // Shell form (exec === null) would run the command under /bin/sh -c, which keeps SIGTERM from node.
    expect(entry === undefined || entry.exec !== null).toBe(true);
    expect(cmd?.exec).not.toBeNull();
    expect([...(entry?.exec ?? []), ...cmd!.exec!]).toEqual(["node", "dist/cli/main.js", "serve"]);
    expect(text).not.toMatch(/npm\W+start/);
  });

  it("has a HEALTHCHECK on /healthz run by node, and exposes 8000", () => {
    const hc = last(final, "HEALTHCHECK");
    expect(hc?.exec?.[0]).toBe("node");
    expect(hc!.exec!.join(" ")).toContain("/healthz");
    expect(last(final, "EXPOSE")?.args).toBe("8000");
  });

  it("keeps its data in the /data volume and listens on every address", () => {
    const env = stageEnv(final);
    expect(env).toMatchObject({ SWITCHBOARD_DATA_DIR: "/data", SWITCHBOARD_HOST: "0.0.0.0", SWITCHBOARD_PORT: "8000" });
    expect(last(final, "VOLUME")?.exec ?? [last(final, "VOLUME")?.args]).toEqual(["/data"]);
  });

  it("copies only files that exist and that .dockerignore lets through; --from names an earlier stage", () => {
    const ignored = readFileSync(join(root, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    const names = file.stages.map((s) => s.name);
    file.stages.forEach((s, index) => {
      for (const copy of s.instructions.filter((i) => i.keyword === "COPY")) {
        const parts = copy.exec ?? copy.args.split(/\s+/);
        const sources = parts.slice(0, -1);
        if (copy.flags.from) {
          expect(names.slice(0, index), `line ${copy.line}`).toContain(copy.flags.from);
          continue;
        }
        for (const src of sources) {
          expect(existsSync(join(root, src)), `line ${copy.line}: ${src}`).toBe(true);
          const top = src.replace(/^\.\//, "").split("/")[0];
          expect(ignored, `line ${copy.line}: ${src} is excluded by .dockerignore`).not.toContain(top);
        }
      }
    });
  });
});

// ---- the runtime stage on this machine -------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), "sb-image-"));
const children: number[] = [];
afterAll(() => {
  for (const pid of children) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** Where an absolute path inside a stage lands on this machine: /app → <work>/app, /src → the checkout. */
function hostPath(s: Stage, path: string): string {
  const wd = workdir(s);
  const abs = isAbsolute(path) ? path : join(wd, path);
  if (s.name === "build") return join(root, relative(wd, abs));
  return join(work, "app", relative("/app", abs));
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

describe("the image's runtime, played out in a temporary folder", () => {
  it("installs the production dependencies as the deps stage does, starts as the image does, passes its HEALTHCHECK and drains on SIGTERM", { timeout: 240_000 }, async () => {
    expect(existsSync(join(root, "dist/cli/main.js")), "dist/ is built (npm run build) before this test").toBe(true);
    const deps = stage("deps");
    expect(workdir(deps)).toBe(workdir(final)); // node_modules is copied to the same place
    const app = join(work, "app");
    mkdirSync(app, { recursive: true });
    // The deps stage: its COPY from the build context, then its RUN commands, offline (npm ci
    // of the checkout has filled npm's cache).
    for (const ins of deps.instructions) {
      if (ins.keyword === "COPY") {
        const parts = ins.exec ?? ins.args.split(/\s+/);
        for (const src of parts.slice(0, -1)) cpSync(join(root, src), join(hostPath(deps, parts.at(-1)!), src));
      } else if (ins.keyword === "RUN") {
        const r = spawnSync("sh", ["-c", ins.args], {
          cwd: app,
          encoding: "utf8",
          timeout: 180_000,
          env: { ...process.env, npm_config_offline: "true", npm_config_update_notifier: "false", npm_config_audit: "false", npm_config_fund: "false" },
        });
        expect(r.status, `RUN ${ins.args}\n${r.stdout}\n${r.stderr}`).toBe(0);
      }
    }
    // The runtime stage's COPY instructions: from deps (same folder), from build (the checkout's
    // dist/, built by the same tsc command), and from the context.
    for (const ins of final.instructions.filter((i) => i.keyword === "COPY")) {
      const parts = ins.exec ?? ins.args.split(/\s+/);
      const dest = hostPath(final, parts.at(-1)!);
      for (const src of parts.slice(0, -1)) {
        const from = ins.flags.from ? hostPath(stage(ins.flags.from), src) : join(root, src);
        const to = parts.length > 2 || dest.endsWith("/") ? join(dest, src.split("/").at(-1)!) : dest;
        if (resolve(from) !== resolve(to)) cpSync(from, to, { recursive: true });
      }
    }
    expect(existsSync(join(app, "node_modules/@electric-sql")) && !existsSync(join(app, "node_modules/vitest"))).toBe(true);

    // The image's user: root here runs the gateway as "nobody", as the image runs it as "node".
    const asRoot = process.getuid?.() === 0;
    const who = asRoot ? { uid: 65534, gid: 65534 } : {};
    const data = join(work, "data");
    mkdirSync(data, { mode: 0o700 });
    if (asRoot) {
      chmodSync(work, 0o755);
      chownSync(data, 65534, 65534);
    }
    const port = await freePort();
    const env = { PATH: process.env.PATH ?? "", ...stageEnv(final), SWITCHBOARD_DATA_DIR: data, SWITCHBOARD_PORT: String(port) };
    const argv = [...(last(final, "ENTRYPOINT")?.exec ?? []), ...last(final, "CMD")!.exec!];
    expect(argv[0]).toBe("node");
    const gateway = spawn(process.execPath, argv.slice(1), { cwd: hostPath(final, "."), env, stdio: ["ignore", "pipe", "pipe"], ...who });
    children.push(gateway.pid!);
    let out = "";
    gateway.stdout.on("data", (d) => (out += d));
    gateway.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((done) => gateway.on("close", (code) => done(code)));
    await new Promise<void>((ready, fail) => {
      const check = () => /listening on http:\/\/\S+/.test(out) && ready();
      gateway.stdout.on("data", check);
      gateway.stderr.on("data", check);
      void exited.then((code) => fail(new Error(`the gateway exited (${code}) before listening:\n${out}`)));
    });
    expect(out).toContain(`listening on http://0.0.0.0:${port}`);

    // The embedded store runs from the npm-installed binaries, as the image's user.
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    const body = (await ready.json()) as { status: string; checks: { database: { status: string } } };
    expect([ready.status, body.status, body.checks.database.status]).toEqual([200, "ready", "ok"]);
    if (asRoot) expect(statSync(join(data, "pg")).uid).toBe(65534);
    const key = readFileSync(join(data, "master.key"), "utf8").trim();
    const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock:mock-1", messages: [{ role: "user", content: "from the image" }] }),
    });
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe("This is a mock response to: from the image");

    // HEALTHCHECK, run as Docker runs it (the container's environment): 0 now, 1 with nothing listening.
    const hc = last(final, "HEALTHCHECK")!.exec!;
    const probe = (p: number) => spawnSync(process.execPath, hc.slice(1), { env: { ...env, SWITCHBOARD_PORT: String(p) }, timeout: 10_000 }).status;
    expect(probe(port)).toBe(0);
    expect(probe(await freePort())).toBe(1);

    // SIGTERM reaches node itself (exec form): the drain runs and the exit status is 0.
    gateway.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toMatch(/SIGTERM: stopping/);
    expect(existsSync(join(data, "lock.pid"))).toBe(false);
  });
});
