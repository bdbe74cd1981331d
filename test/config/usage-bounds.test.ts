/** A setting the gateway could not start with is refused by the config check, with its line. */
import { describe, expect, it } from "vitest";
import { checkConfigFile } from "../../src/config/index.js";
import { lines, writeTemp } from "./tmp.js";

describe("usage.batch_size", () => {
  it("is at most 2000 rows (one INSERT), refused with its line beyond that", () => {
    const { path } = writeTemp("switchboard.yaml", lines("usage:", "  batch_size: 5000"));
    expect(checkConfigFile(path, {})).toEqual({ ok: false, errors: [`${path}:2: usage.batch_size: must be at most 2000, got 5000`] });
    const ok = writeTemp("switchboard.yaml", lines("usage:", "  batch_size: 2000"));
    expect(checkConfigFile(ok.path, {})).toEqual({ ok: true, errors: [] });
  });
});
