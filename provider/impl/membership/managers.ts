// Which resources of this deployment manage which group: one registry per
// provider process, filled by `check` (the engine checks every resource the
// program declares, in preview too). A membership shares its group and
// region with no other resource; attachments share theirs with each other.

export type ManagerKind = "SecurityGroupAttachment" | "SecurityGroupMembership";

export interface Manager {
  kind: ManagerKind;
  /** `<project>/<stack>/<name>`. */
  owner: string;
}

export class GroupManagers {
  /** `scope|sg` → owner → kind. */
  private readonly byGroup = new Map<string, Map<string, ManagerKind>>();

  /**
   * Records `m` as a manager of the group in `scope` (endpoint|region) and
   * returns those it cannot share the group with. A later check of the same
   * owner replaces its earlier record.
   */
  declare(scope: string, sg: string, m: Manager): Manager[] {
    for (const owners of this.byGroup.values()) owners.delete(m.owner);
    const key = `${scope}|${sg}`;
    let owners = this.byGroup.get(key);
    if (!owners) this.byGroup.set(key, (owners = new Map()));
    owners.set(m.owner, m.kind);
    const clash: Manager[] = [];
    for (const [owner, kind] of owners) {
      if (owner === m.owner) continue;
      if (kind === "SecurityGroupMembership" || m.kind === "SecurityGroupMembership")
        clash.push({ kind, owner });
    }
    return clash;
  }

  /** Forgets everything (tests). */
  clear(): void {
    this.byGroup.clear();
  }
}

export const groupManagers = new GroupManagers();
