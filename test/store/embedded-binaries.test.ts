/**
 * What `npm ci` (CI) and `npm install` give a new user: the PostgreSQL binaries for this
 * platform, pinned, usable without the package's install script (npm may block it).
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { EMBEDDED_PLATFORMS, postgresBinaries, reachableBinaries } from "../../src/store/embedded/binaries.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { optionalDependencies?: Record<string, string> };
const lock = JSON.parse(readFileSync(new URL("../../package-lock.json", import.meta.url), "utf8")) as { packages: Record<string, { version?: string; optional?: boolean }> };

describe("embedded PostgreSQL binaries", () => {
  it("are optional dependencies for every platform the store names, pinned to one version, all in the lockfile", () => {
    const wanted = Object.fromEntries(Object.values(EMBEDDED_PLATFORMS).map((name) => [name, "17.10.0-beta.17"]));
    expect(pkg.optionalDependencies).toEqual(wanted);
    for (const name of Object.keys(wanted)) {
      expect([name, lock.packages[`node_modules/${name}`]?.version, lock.packages[`node_modules/${name}`]?.optional]).toEqual([name, "17.10.0-beta.17", true]);
    }
  });

  it.runIf(`${process.platform}-${process.arch}` in EMBEDDED_PLATFORMS)("are installed for this platform and run as installed", () => {
    const bins = postgresBinaries();
    expect(bins.version).toBe("17.10");
    expect(execFileSync(bins.postgres, ["--version"], { encoding: "utf8" })).toBe("postgres (PostgreSQL) 17.10\n");
    expect(execFileSync(bins.initdb, ["--version"], { encoding: "utf8" })).toBe("initdb (PostgreSQL) 17.10\n");
  });

  const NOBODY = 65534;
  it.runIf(process.getuid?.() === 0 && process.platform === "linux" && `${process.platform}-${process.arch}` in EMBEDDED_PLATFORMS)(
    "as root, installed where PostgreSQL's user cannot enter (a 0700 checkout), are run from a root-only copy that user can reach",
    async () => {
      const installed = postgresBinaries();
      const closed = mkdtempSync(join(tmpdir(), "sb-closed-")); // 0700, root's
      const cacheRoot = mkdtempSync(join(tmpdir(), "sb-bincache-"));
      execFileSync("chmod", ["755", cacheRoot]); // as /var/cache is
      try {
        // The package as npm lays it out (package.json beside native/), inside the closed folder.
        const pkgDir = join(closed, "node_modules", "pkg");
        mkdirSync(pkgDir, { recursive: true });
        const nativeDir = dirname(dirname(installed.postgres));
        cpSync(join(nativeDir, "..", "package.json"), join(pkgDir, "package.json"));
        cpSync(nativeDir, join(pkgDir, "native"), { recursive: true, verbatimSymlinks: true });
        const closedBins = { ...installed, initdb: join(pkgDir, "native", "bin", "initdb"), postgres: join(pkgDir, "native", "bin", "postgres") };
        const asNobody = (bin: string) => execFileSync(bin, ["--version"], { encoding: "utf8", uid: NOBODY, gid: NOBODY });
        expect(() => asNobody(closedBins.initdb)).toThrow(/EACCES/);

        const who = { uid: NOBODY, gid: NOBODY };
        const reachable = await reachableBinaries(closedBins, who, join(cacheRoot, "switchboard"));
        expect(reachable.initdb).toMatch(new RegExp(`^${cacheRoot}/switchboard/postgres-17\\.10\\.0-beta\\.17-${process.platform}-${process.arch}/bin/initdb$`));
        expect(asNobody(reachable.initdb)).toBe("initdb (PostgreSQL) 17.10\n");
        expect(asNobody(reachable.postgres)).toBe("postgres (PostgreSQL) 17.10\n");
        expect(statSync(join(cacheRoot, "switchboard")).mode & 0o777).toBe(0o755);
        // Binaries the user can reach already are used where they are.
        expect(await reachableBinaries(reachable, who, join(cacheRoot, "switchboard"))).toEqual(reachable);
        // Not root's, or writable by others: refused, never run.
        const loose = join(cacheRoot, "loose");
        mkdirSync(loose, { mode: 0o777 });
        execFileSync("chmod", ["777", loose]);
        await expect(reachableBinaries(closedBins, who, loose)).rejects.toThrow(`${loose} must belong to root and be writable by root only`);
      } finally {
        rmSync(closed, { recursive: true, force: true });
        rmSync(cacheRoot, { recursive: true, force: true });
      }
    },
  );
});
