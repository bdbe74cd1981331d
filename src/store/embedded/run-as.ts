/**
 * Who runs the embedded PostgreSQL. PostgreSQL refuses to run as root, so a gateway started as
 * root (CI, containers) runs it as another user:
 *
 * - the owner of `<data_dir>/pg`, when it exists and that is not root;
 * - else the owner of the data directory, when that is not root: a later start as that user (not
 *   root) then finds every file of `<data_dir>/pg` its own and works;
 * - otherwise the `postgres` user, created (a system user without a home) when it is missing.
 *
 * A `<data_dir>/pg` whose files belong to root (copied or restored as root) is given to that
 * user. Started as anyone else, PostgreSQL runs as the gateway's own user, which must own
 * `<data_dir>/pg`.
 */
import { execFile } from "node:child_process";
import { lchown, readdir, stat } from "node:fs/promises";
import { join } from "node:path";

export interface RunAs {
  uid: number;
  gid: number;
  /** For messages: `postgres`, or `uid 1000`. */
  name: string;
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** null: PostgreSQL runs as this process's user. */
export async function postgresRunAs(dataDir: string): Promise<RunAs | null> {
  if (!runningAsRoot()) return null;
  if (process.platform !== "linux") {
    throw new Error("PostgreSQL does not run as root, and the embedded store runs it as another user only on Linux: start the gateway as a normal user, or set DATABASE_URL");
  }
  const cluster = await stat(join(dataDir, "pg")).catch(() => null);
  if (cluster && cluster.uid !== 0) return { uid: cluster.uid, gid: cluster.gid, name: `uid ${cluster.uid}` };
  const owner = await stat(dataDir);
  if (owner.uid !== 0) return { uid: owner.uid, gid: owner.gid, name: `uid ${owner.uid}` };
  return (await lookUp("postgres")) ?? (await createUser("postgres"));
}

/**
 * Makes `dir` (the cluster) usable by the user PostgreSQL runs as: as root, files of root's are
 * given to that user; as anyone else, a cluster of another user's is refused with what to do.
 */
export async function checkOwnership(dir: string, runAs: RunAs | null): Promise<void> {
  const st = await stat(dir).catch(() => null);
  if (!st) return; // not made yet: it will be made with the right owner
  if (runAs) {
    if (st.uid === 0) await chownTree(dir, runAs);
    return;
  }
  const me = process.getuid?.();
  if (me !== undefined && st.uid !== me) {
    throw new Error(`${dir} belongs to uid ${st.uid}, and PostgreSQL runs only as the owner of its files: start the gateway as that user (or as root), or give the directory to uid ${me} (chown -R)`);
  }
}

async function chownTree(path: string, to: RunAs): Promise<void> {
  await lchown(path, to.uid, to.gid);
  const entries = await readdir(path, { withFileTypes: true }).catch(() => null);
  for (const e of entries ?? []) {
    if (e.isDirectory()) await chownTree(join(path, e.name), to);
    else await lchown(join(path, e.name), to.uid, to.gid);
  }
}

async function lookUp(name: string): Promise<RunAs | null> {
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", name]), run("id", ["-g", name])]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()), name };
  } catch {
    return null;
  }
}

async function createUser(name: string): Promise<RunAs> {
  const attempts: [string, string[]][] = [
    ["useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name]],
    ["adduser", ["-S", "-D", "-H", name]], // busybox (Alpine)
  ];
  const failures: string[] = [];
  for (const [cmd, args] of attempts) {
    try {
      await run(cmd, args);
      const user = await lookUp(name);
      if (user) return user;
    } catch (err) {
      failures.push(`${cmd}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(
    `PostgreSQL does not run as root and there is no user '${name}' to run it as (${failures.join("; ")}): ` +
      `create one (useradd --system ${name}), start the gateway as a normal user, or set DATABASE_URL`,
  );
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message));
      else resolve(stdout);
    });
  });
}
