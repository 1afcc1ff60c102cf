// The texts a membership shows the user: each names the instances, the cause and the fix.

import type { OverLimit } from "../plan";

const list = (ids: readonly string[]): string => ids.join(", ");

export function guardText(where: string, foreign: readonly string[], max: number): string {
  return (
    `${where} is held by ${foreign.length} instance(s) that this SecurityGroupMembership did not bind and does ` +
    `not list: ${list(foreign)}. \`pulumi up\` would unbind the group from each of them, and ` +
    `maxForeignRemovals is ${max}. To remove them, set maxForeignRemovals to at least ${foreign.length}; ` +
    `to keep them, add them to instanceIds.`
  );
}

export function lastGroupText(where: string, ids: readonly string[]): string {
  return (
    `unbinding ${where} would leave ${list(ids)} with no security group at all: bind another group to ` +
    `them first, or add them to instanceIds.`
  );
}

export function missingText(where: string, ids: readonly string[]): string {
  return `instances not found in ${where.split(" in ").pop()}: ${list(ids)}: check the ids and the region.`;
}

export function overLimitText(o: readonly OverLimit[]): string {
  const each = o.map((x) => `${x.instanceId} (holds ${list(x.securityGroupIds)})`).join("; ");
  return `instances already hold the maximum of 5 security groups: ${each}: unbind a group from them first.`;
}

export function unnamedText(where: string, ids: readonly string[]): string {
  return (
    `${where} was bound to ${list(ids)} after the preview, which did not name them: nothing was changed. ` +
    `Run \`pulumi preview\` (or \`pulumi up\`) again to see them named; if \`up\` refuses them ` +
    `again, run \`pulumi refresh\` first (after an \`up\` that failed, the preview still reads that run's plan of ` +
    `what it binds).`
  );
}

export function refused(where: string, problems: readonly string[]): string {
  return `SecurityGroupMembership of ${where} refused, nothing was changed:${problems.map((p) => `\n - ${p}`).join("")}`;
}

export function convergeFailed(where: string, lines: readonly string[], undo: string): string {
  return `SecurityGroupMembership of ${where} failed:${lines.map((p) => `\n - ${p}`).join("")}\n${undo}`;
}

export function notConverged(where: string, wrong: readonly string[]): string {
  return (
    `SecurityGroupMembership of ${where}: after the change, ${list(wrong)} still do not match the list ` +
    `(another manager changed them meanwhile?). Run \`pulumi up\` again.`
  );
}

export function clashText(
  kind: string,
  name: string,
  others: readonly { kind: string; owner: string }[],
): string {
  const them = others.map((o) => `${o.kind} "${o.owner}"`).join(", ");
  return (
    `${kind} "${name}" and ${them} manage the same security group and region in this deployment. A ` +
    `SecurityGroupMembership decides the group's whole membership, so it cannot share the group: move the ` +
    `instances into one SecurityGroupMembership, or use SecurityGroupAttachments only.`
  );
}

export function badMembershipImportId(id: string, problems: readonly string[]): string {
  return (
    `Cannot import ${JSON.stringify(id)} as a SecurityGroupMembership: the id must be ` +
    `<securityGroupId>@<region> (e.g. sg-admin001@ap-guangzhou); every instance holding the group ` +
    `becomes a member that held it before (destroy leaves it).${problems.map((p) => `\n  - ${p}`).join("")}`
  );
}
