/**
 * What `npm ci` (CI) and `npm install` give a new user: the PostgreSQL binaries for this
 * platform, pinned, usable without the package's install script (npm may block it).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EMBEDDED_PLATFORMS, postgresBinaries } from "../../src/store/embedded/binaries.js";

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
});
