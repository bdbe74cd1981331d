/** The index the key and user caches keep by user and team: members in, members out, no empty groups left behind. */
import { describe, expect, it } from "vitest";
import { GroupIndex } from "../../src/policy/group-index.js";

describe("GroupIndex", () => {
  it("lists a group's members, forgets a group once its last member leaves, and clears", () => {
    const ix = new GroupIndex();
    ix.add("t1", "k1");
    ix.add("t1", "k2");
    ix.add("t1", "k2");
    ix.add("t2", "k3");
    expect(ix.members("t1")).toEqual(["k1", "k2"]);
    expect(ix.members("nobody")).toEqual([]);
    expect(ix.groupCount).toBe(2);
    ix.remove("t1", "k9");
    ix.remove("t9", "k1");
    expect(ix.members("t1")).toEqual(["k1", "k2"]);
    // The list is a copy: the caller may remove members while going through it.
    const list = ix.members("t1");
    for (const m of list) ix.remove("t1", m);
    expect(list).toEqual(["k1", "k2"]);
    expect(ix.members("t1")).toEqual([]);
    expect(ix.groupCount).toBe(1);
    ix.clear();
    expect(ix.members("t2")).toEqual([]);
    expect(ix.groupCount).toBe(0);
  });
});
