// The part of the CVM instance metadata service a CAM role needs:
// GET /latest/meta-data/cam/security-credentials/<roleName>. Served on the
// emulator's port so that a provider pointed at it never reaches the real
// metadata address. No signature (the real service has none either).

import type { IdentityStore } from "../model/identity";
import { DEFAULT_SESSION_SECONDS } from "../model/identity";

export const METADATA_ROLE_PREFIX = "/latest/meta-data/cam/security-credentials/";

export interface MetadataReply {
  status: number;
  body: string;
}

export function metadataReply(
  identity: IdentityStore,
  pathOnly: string,
  nowMs: number,
  lifetimeS: number | null,
): MetadataReply {
  const name = decodeURIComponent(pathOnly.slice(METADATA_ROLE_PREFIX.length));
  const c = name
    ? identity.credentialsForRoleName(name, nowMs, lifetimeS ?? DEFAULT_SESSION_SECONDS)
    : undefined;
  if (!c) return { status: 404, body: "Not Found" };
  return {
    status: 200,
    body: JSON.stringify({
      TmpSecretId: c.tmpSecretId,
      TmpSecretKey: c.tmpSecretKey,
      Token: c.token,
      ExpiredTime: c.expiredTime,
      Expiration: new Date(c.expiredTime * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      Code: "Success",
    }),
  };
}
