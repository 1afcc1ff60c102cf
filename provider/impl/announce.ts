// What a diff tells the hand-over registry (claims.ts): the instances this
// resource gives up and those it newly wants, under the same group and region.

import { claimKey, type Claims } from "./claims";
import { isUnknown } from "./validate";

function knownIds(v: unknown): string[] | null {
  if (!Array.isArray(v) || isUnknown(v)) return null;
  const ids = v.filter((x): x is string => typeof x === "string" && !isUnknown(x));
  return ids.length === v.length ? ids : null;
}

/** Announces both sides of every instance that changes hands; nothing when a value is unknown (preview). */
export function announceHandOvers(
  claims: Claims,
  endpoint: string,
  id: string,
  olds: any,
  news: any,
  defaultRegion?: string,
): void {
  const sg = olds?.securityGroupId;
  const region = news?.region ?? olds?.region ?? defaultRegion;
  const before = knownIds(olds?.instanceIds);
  const after = knownIds(news?.instanceIds);
  if (typeof sg !== "string" || typeof region !== "string" || !before || !after) return;
  const scope = `${endpoint}|${region}`;
  const was = new Set(before);
  const will = new Set(after);
  for (const i of was) if (!will.has(i)) claims.announce(claimKey(scope, sg, i), "releaser", id);
  for (const i of will) if (!was.has(i)) claims.announce(claimKey(scope, sg, i), "taker", id);
}
