// Resource id shapes of CVM and VPC.

const INSTANCE_ID_RE = /^ins-[a-z0-9]{8}$/;
const SECURITY_GROUP_ID_RE = /^sg-[a-z0-9]{8}$/;
export const REGION_RE = /^[a-z]{2,}(-[a-z0-9]+)+$/;

export function isInstanceId(id: string): boolean {
  return INSTANCE_ID_RE.test(id);
}

export function isSecurityGroupId(id: string): boolean {
  return SECURITY_GROUP_ID_RE.test(id);
}

/**
 * "ok"; "malformed" when it starts with `ins-` but the rest is wrong
 * (InvalidInstanceId.Malformed); "foreign" when it does not even start with
 * `ins-` (InvalidParameterValue.InstanceIdMalformed).
 */
export function classifyInstanceId(id: string): "ok" | "malformed" | "foreign" {
  if (INSTANCE_ID_RE.test(id)) return "ok";
  return id.startsWith("ins-") ? "malformed" : "foreign";
}
