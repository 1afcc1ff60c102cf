// `check`: shapes and required fields, every problem at once, before any API
// call. Returns normalised inputs (instanceIds sorted and deduplicated, region
// resolved, adoptExisting defaulted).

import type { AttachmentInputs } from "../types";
import { regionHelp, resolveRegion, Settings } from "./settings";

/** The value Pulumi sends for a value not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const SG_ID_RE = /^sg-[a-z0-9]{8}$/;
const INSTANCE_ID_RE = /^ins-[a-z0-9]{8}$/;
/** ap-guangzhou, na-siliconvalley, ap-shanghai-fsi, eu-frankfurt, ... */
const REGION_RE = /^[a-z]{2,4}(-[a-z0-9]+){1,3}$/;

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

export interface CheckResult {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
}

function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 70 ? s.slice(0, 67) + "..." : s;
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return `a ${typeof v}`;
}

/** Sorted, deduplicated; unknown elements kept (once). */
function normaliseIds(ids: readonly unknown[]): unknown[] {
  const uniq = [...new Set(ids)];
  return uniq.sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}

/** `allowEmpty`: an empty instanceIds is valid (a membership: nobody holds the group). */
export function checkInputs(
  news: any,
  settings: Pick<Settings, "region">,
  opts: { allowEmpty?: boolean } = {},
): CheckResult {
  const failures: CheckFailure[] = [];
  const props = news && typeof news === "object" ? news : {};

  // securityGroupId
  const sg = props.securityGroupId;
  if (sg === undefined || sg === null || sg === "") {
    failures.push({
      property: "securityGroupId",
      reason:
        'securityGroupId is required: set it to the id of the security group to bind, e.g. "sg-abcd1234".',
    });
  } else if (!isUnknown(sg)) {
    if (typeof sg !== "string") {
      failures.push({
        property: "securityGroupId",
        reason: `securityGroupId must be a string like "sg-abcd1234", got ${kind(sg)}.`,
      });
    } else if (!SG_ID_RE.test(sg)) {
      failures.push({
        property: "securityGroupId",
        reason: `securityGroupId ${show(sg)} is not a security group id: expected "sg-" followed by 8 lowercase letters or digits, e.g. "sg-abcd1234".`,
      });
    }
  }

  // instanceIds
  const ids = props.instanceIds;
  let instanceIds: unknown = ids;
  if (ids === undefined || ids === null) {
    failures.push({
      property: "instanceIds",
      reason: 'instanceIds is required: a non-empty list of instance ids, e.g. ["ins-abcd1234"].',
    });
  } else if (!isUnknown(ids)) {
    if (!Array.isArray(ids)) {
      failures.push({
        property: "instanceIds",
        reason: `instanceIds must be a list of instance ids like ["ins-abcd1234"], got ${kind(ids)}.`,
      });
    } else if (ids.length === 0 && !opts.allowEmpty) {
      failures.push({
        property: "instanceIds",
        reason:
          "instanceIds must not be empty: list at least one instance (to unbind every instance, delete the resource instead).",
      });
    } else {
      ids.forEach((el: unknown, i: number) => {
        if (isUnknown(el)) return;
        if (typeof el !== "string") {
          failures.push({
            property: `instanceIds[${i}]`,
            reason: `instanceIds[${i}] must be a string like "ins-abcd1234", got ${kind(el)}.`,
          });
        } else if (!INSTANCE_ID_RE.test(el)) {
          failures.push({
            property: `instanceIds[${i}]`,
            reason: `instanceIds[${i}] ${show(el)} is not an instance id: expected "ins-" followed by 8 lowercase letters or digits, e.g. "ins-abcd1234".`,
          });
        }
      });
      instanceIds = normaliseIds(ids);
    }
  }

  // region
  const rawRegion = props.region;
  let region: unknown = rawRegion;
  if (isUnknown(rawRegion)) {
    // Known at update time.
  } else if (
    rawRegion !== undefined &&
    rawRegion !== null &&
    rawRegion !== "" &&
    typeof rawRegion !== "string"
  ) {
    failures.push({
      property: "region",
      reason: `region must be a string like "ap-guangzhou", got ${kind(rawRegion)}.`,
    });
  } else {
    const resolved = resolveRegion(typeof rawRegion === "string" ? rawRegion : undefined, settings);
    if (resolved === undefined) {
      failures.push({ property: "region", reason: `region is not set. ${regionHelp()}` });
    } else if (!REGION_RE.test(resolved)) {
      const from = typeof rawRegion === "string" && rawRegion.trim() !== "" ? "region" : "the default region";
      failures.push({
        property: "region",
        reason: `${from} ${show(resolved)} does not look like a Tencent Cloud region such as "ap-guangzhou". ${regionHelp()}`,
      });
    }
    region = resolved;
  }

  // adoptExisting
  const adopt = props.adoptExisting;
  let adoptExisting: unknown = adopt;
  if (adopt === undefined || adopt === null) {
    adoptExisting = false;
  } else if (!isUnknown(adopt) && typeof adopt !== "boolean") {
    failures.push({
      property: "adoptExisting",
      reason: `adoptExisting must be true or false, got ${show(adopt)}.`,
    });
  }

  const inputs: Record<string, unknown> = {};
  if (sg !== undefined && sg !== null) inputs.securityGroupId = sg;
  if (instanceIds !== undefined && instanceIds !== null) inputs.instanceIds = instanceIds;
  if (region !== undefined && region !== null) inputs.region = region;
  inputs.adoptExisting = adoptExisting;
  // Set by the resource class, never by the user: passed through as is.
  if (typeof props.owner === "string" && props.owner) inputs.owner = props.owner;
  return { inputs, failures };
}

/** Inputs after a successful check, fully known (create/update time). */
export type Normalised = Required<Omit<AttachmentInputs, "owner">> & Pick<AttachmentInputs, "owner">;

/**
 * For create/update: the same rules, but everything must be known. Throws one
 * error listing every problem.
 */
export function requireValidInputs(
  news: any,
  settings: Pick<Settings, "region">,
  opts: { allowEmpty?: boolean; kind?: string } = {},
): Normalised {
  const { inputs, failures } = checkInputs(news, settings, opts);
  const unknowns: string[] = [];
  for (const [k, v] of Object.entries(inputs)) {
    if (isUnknown(v) || (Array.isArray(v) && v.some(isUnknown))) unknowns.push(k);
  }
  for (const k of unknowns) failures.push({ property: k, reason: `${k} is not known yet.` });
  if (failures.length > 0) {
    throw new Error(
      `Invalid ${opts.kind ?? "SecurityGroupAttachment"} inputs:\n - ${failures.map((f) => f.reason).join("\n - ")}`,
    );
  }
  return inputs as unknown as Normalised;
}
