// Read-side queries over the world: instance and security-group filtering,
// plus the deterministic "realistic" attributes derived from ids.

import { digest, type InstanceData, type RegionData, type SecurityGroupData } from "./world";

export interface FilterSpec {
  name: string;
  values: string[];
}

/** Derived, stable attributes (the emulator does not model networks). */
export function vpcIdOf(region: string): string {
  return "vpc-" + base36(digest("vpc:" + region), 8);
}
export function subnetIdOf(zone: string): string {
  return "subnet-" + base36(digest("subnet:" + zone), 8);
}
export function privateIpOf(instanceId: string): string {
  const h = digest("ip:" + instanceId);
  return `10.${parseInt(h.slice(0, 2), 16) % 256}.${parseInt(h.slice(2, 4), 16) % 256}.${2 + (parseInt(h.slice(4, 6), 16) % 250)}`;
}
export function uuidOf(id: string): string {
  const h = digest("uuid:" + id);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
export function diskIdOf(instanceId: string): string {
  return "disk-" + base36(digest("disk:" + instanceId), 8);
}

function base36(hex: string, len: number): string {
  let out = "";
  for (let i = 0; out.length < len; i += 2) out += (parseInt(hex.slice(i, i + 2), 16) % 36).toString(36);
  return out;
}

type InstanceMatcher = (i: InstanceData, value: string, region: RegionData) => boolean;

/** DescribeInstances filter names the emulator supports. */
export const INSTANCE_FILTERS: Record<string, InstanceMatcher> = {
  "instance-id": (i, v) => i.id === v,
  "security-group-id": (i, v) => i.securityGroupIds.includes(v),
  "instance-state": (i, v) => i.state === v,
  zone: (i, v) => i.zone === v,
  "instance-name": (i, v) => i.name.includes(v),
  "vpc-id": (_i, v, r) => vpcIdOf(r.name) === v,
  "subnet-id": (i, v) => subnetIdOf(i.zone) === v,
  "private-ip-address": (i, v) => privateIpOf(i.id) === v,
  uuid: (i, v) => uuidOf(i.id) === v,
  "instance-charge-type": (_i, v) => v === "POSTPAID_BY_HOUR",
  "project-id": (_i, v) => v === "0",
};

/** Values within a filter are ORed, filters are ANDed. Region order is kept. */
export function queryInstances(
  region: RegionData,
  q: { instanceIds?: string[]; filters?: FilterSpec[] },
): InstanceData[] {
  let items = [...region.instances.values()];
  if (q.instanceIds && q.instanceIds.length) {
    const wanted = new Set(q.instanceIds);
    items = items.filter((i) => wanted.has(i.id));
  }
  for (const f of q.filters ?? []) {
    const match = INSTANCE_FILTERS[f.name];
    items = items.filter((i) => f.values.some((v) => match(i, v, region)));
  }
  return items;
}

type SecurityGroupMatcher = (sg: SecurityGroupData, value: string) => boolean;

/** DescribeSecurityGroups filter names the emulator supports. */
export const SECURITY_GROUP_FILTERS: Record<string, SecurityGroupMatcher> = {
  "security-group-id": (sg, v) => sg.id === v,
  "security-group-name": (sg, v) => sg.name.includes(v),
  "project-id": (_sg, v) => v === "0",
};

export function querySecurityGroups(
  region: RegionData,
  q: { securityGroupIds?: string[]; filters?: FilterSpec[] },
): SecurityGroupData[] {
  let items = [...region.securityGroups.values()];
  if (q.securityGroupIds && q.securityGroupIds.length) {
    const wanted = new Set(q.securityGroupIds);
    items = items.filter((sg) => wanted.has(sg.id));
  }
  for (const f of q.filters ?? []) {
    const match = SECURITY_GROUP_FILTERS[f.name];
    items = items.filter((sg) => f.values.some((v) => match(sg, v)));
  }
  return items;
}
