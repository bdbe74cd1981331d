/**
 * Cached entries grouped by the user or team they belong to, so the entries of one user or team
 * can be dropped without scanning every other. A cache keeps it in step with its own map: every
 * entry it stores is added, every entry it removes is taken out, and a clear clears both.
 */
export class GroupIndex {
  private readonly groups = new Map<string, Set<string>>();

  add(group: string, member: string): void {
    const set = this.groups.get(group);
    if (set) set.add(member);
    else this.groups.set(group, new Set([member]));
  }

  remove(group: string, member: string): void {
    const set = this.groups.get(group);
    if (!set) return;
    set.delete(member);
    if (set.size === 0) this.groups.delete(group);
  }

  /** The group's members, copied: the caller may remove them while it goes through them. */
  members(group: string): string[] {
    const set = this.groups.get(group);
    return set ? [...set] : [];
  }

  clear(): void {
    this.groups.clear();
  }

  /** How many groups have members (an empty group is not kept). */
  get groupCount(): number {
    return this.groups.size;
  }
}
