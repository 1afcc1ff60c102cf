// Who may call the API: permanent keys from the seed, CAM roles, and the
// temporary keys STS AssumeRole (or the CVM metadata service) issues for a
// role. Pure state and rules; knows nothing of HTTP or signatures. Secret keys
// and tokens live only here and are never persisted.

import { randomBytes } from "node:crypto";
import { apiFault } from "../errors";

/** The account a seed credential belongs to when the seed names none. */
const DEFAULT_ACCOUNT_ID = "100000000001";
/** AssumeRole's DurationSeconds: default and maximum (seconds). */
export const DEFAULT_SESSION_SECONDS = 7200;
const MAX_SESSION_SECONDS = 43200;

const ROLE_ARN_RE = /^qcs::cam::uin\/(\d{5,20}):roleName\/([\w+=,.@-]{1,128})$/;
const SESSION_NAME_RE = /^[\w+=,.@-]{2,128}$/;
const ACCOUNT_ID_RE = /^\d{5,20}$/;

export class IdentityError extends Error {}

export interface SeedCredential {
  secretId: string;
  secretKey: string;
  token?: string;
  accountId?: string;
}

export interface SeedRole {
  arn: string;
  /** When set, AssumeRole must send this ExternalId. */
  externalId?: string;
}

/** What the signature check needs. */
export interface KeyRecord {
  secretKey: string;
  token?: string;
  /** Temporary keys only: not accepted from this instant (ms since the epoch). */
  expiresAtMs?: number;
}

interface Principal {
  accountId: string;
  arn: string;
  userId: string;
  principalId: string;
  type: "CAMUser" | "CAMRole";
}

interface Key extends KeyRecord {
  principal: Principal;
}

interface Role {
  arn: string;
  accountId: string;
  name: string;
  externalId?: string;
}

export interface TemporaryCredentials {
  tmpSecretId: string;
  tmpSecretKey: string;
  token: string;
  /** Unix seconds, as the API reports it; the key is refused from this second on. */
  expiredTime: number;
}

export interface AssumeRoleRequest {
  roleArn: string;
  sessionName: string;
  durationSeconds?: number;
  externalId?: string;
  /** URL-encoded CAM policy (as the API takes it). */
  policy?: string;
}

function parseKey(c: SeedCredential): [string, Key] {
  if (
    !c ||
    typeof c.secretId !== "string" ||
    c.secretId === "" ||
    typeof c.secretKey !== "string" ||
    c.secretKey === ""
  )
    throw new IdentityError("each credential needs a non-empty secretId and secretKey");
  if (c.token !== undefined && (typeof c.token !== "string" || c.token === ""))
    throw new IdentityError(`credential ${c.secretId}: token must be a non-empty string`);
  const accountId = c.accountId ?? DEFAULT_ACCOUNT_ID;
  if (typeof accountId !== "string" || !ACCOUNT_ID_RE.test(accountId))
    throw new IdentityError(`credential ${c.secretId}: accountId must be a string of digits`);
  const key: Key = {
    secretKey: c.secretKey,
    ...(c.token !== undefined ? { token: c.token } : {}),
    principal: {
      accountId,
      arn: `qcs::cam::uin/${accountId}:uin/${accountId}`,
      userId: accountId,
      principalId: accountId,
      type: "CAMUser",
    },
  };
  return [c.secretId, key];
}

function parseRole(r: SeedRole): Role {
  const m = r && typeof r.arn === "string" ? ROLE_ARN_RE.exec(r.arn) : null;
  if (!m)
    throw new IdentityError(
      `role ${JSON.stringify(r?.arn)}: expected qcs::cam::uin/<account>:roleName/<name>`,
    );
  if (r.externalId !== undefined && (typeof r.externalId !== "string" || r.externalId === ""))
    throw new IdentityError(`role ${r.arn}: externalId must be a non-empty string`);
  return { arn: r.arn, accountId: m[1], name: m[2], ...(r.externalId ? { externalId: r.externalId } : {}) };
}

export class IdentityStore {
  private readonly keys = new Map<string, Key>();
  private readonly roles = new Map<string, Role>();

  /** Validates everything first; throws IdentityError on a bad seed. */
  constructor(credentials: SeedCredential[], roles: SeedRole[] = []) {
    if (!Array.isArray(credentials)) throw new IdentityError("seed.credentials must be an array");
    if (!Array.isArray(roles)) throw new IdentityError("seed.roles must be an array");
    for (const c of credentials) {
      const [id, key] = parseKey(c);
      this.keys.set(id, key);
    }
    for (const r of roles) {
      const role = parseRole(r);
      this.roles.set(role.arn, role);
    }
  }

  get(secretId: string): KeyRecord | undefined {
    return this.keys.get(secretId);
  }

  addPermanent(c: SeedCredential): void {
    const [id, key] = parseKey(c);
    this.keys.set(id, key);
  }

  /** GetCallerIdentity of an authenticated key. */
  callerOf(secretId: string): Principal {
    const key = this.keys.get(secretId);
    if (!key) throw apiFault("AuthFailure.SecretIdNotFound");
    return { ...key.principal };
  }

  /** STS AssumeRole on behalf of `callerSecretId`. `lifetimeOverrideS` replaces the asked duration. */
  assumeRole(
    callerSecretId: string,
    req: AssumeRoleRequest,
    nowMs: number,
    lifetimeOverrideS?: number | null,
  ): TemporaryCredentials {
    if (!SESSION_NAME_RE.test(req.sessionName)) {
      throw apiFault(
        "InvalidParameter.ParamError",
        "RoleSessionName must be 2-128 characters of letters, digits and +=,.@-_.",
      );
    }
    const duration = req.durationSeconds ?? DEFAULT_SESSION_SECONDS;
    if (duration < 1 || duration > MAX_SESSION_SECONDS) {
      throw apiFault(
        "InvalidParameter.OverTimeError",
        `DurationSeconds must be between 1 and ${MAX_SESSION_SECONDS}, got ${duration}.`,
      );
    }
    if (req.policy !== undefined) checkPolicy(req.policy);
    const role = this.roles.get(req.roleArn);
    if (!role) throw apiFault("ResourceNotFound.RoleNotExist", `The role \`${req.roleArn}\` does not exist.`);
    if (role.externalId !== undefined && req.externalId !== role.externalId) {
      throw apiFault("UnauthorizedOperation", "The ExternalId does not match the role's trust policy.");
    }
    this.callerOf(callerSecretId);
    return this.issue(role, req.sessionName, nowMs, lifetimeOverrideS ?? duration);
  }

  /** What the CVM metadata service hands out for the instance's role `name`. */
  credentialsForRoleName(name: string, nowMs: number, lifetimeS: number): TemporaryCredentials | undefined {
    for (const role of this.roles.values()) {
      if (role.name === name) return this.issue(role, "cvm-instance", nowMs, lifetimeS);
    }
    return undefined;
  }

  /** Forgets temporary keys that expired (they are refused anyway). */
  prune(nowMs: number): void {
    for (const [id, k] of this.keys)
      if (k.expiresAtMs !== undefined && k.expiresAtMs <= nowMs) this.keys.delete(id);
  }

  private issue(role: Role, sessionName: string, nowMs: number, lifetimeS: number): TemporaryCredentials {
    this.prune(nowMs);
    const expiredTime = Math.floor(nowMs / 1000) + lifetimeS;
    const tmpSecretId = `AKIDTMP${randomBytes(12).toString("hex").toUpperCase()}`;
    const tmpSecretKey = randomBytes(24).toString("base64url");
    const token = randomBytes(48).toString("base64url");
    this.keys.set(tmpSecretId, {
      secretKey: tmpSecretKey,
      token,
      expiresAtMs: expiredTime * 1000,
      principal: {
        accountId: role.accountId,
        arn: `qcs::sts:${role.accountId}:assumed-role/${role.name}/${sessionName}`,
        userId: `${role.accountId}:${sessionName}`,
        principalId: role.accountId,
        type: "CAMRole",
      },
    });
    return { tmpSecretId, tmpSecretKey, token, expiredTime };
  }
}

function checkPolicy(encoded: string): void {
  let policy: unknown;
  try {
    policy = JSON.parse(decodeURIComponent(encoded.replace(/\+/g, "%20")));
  } catch {
    throw apiFault("InvalidParameter.StrategyFormatError", "Policy must be a URL-encoded JSON CAM policy.");
  }
  if (!policy || typeof policy !== "object" || Array.isArray(policy)) {
    throw apiFault("InvalidParameter.StrategyFormatError", "Policy must be a URL-encoded JSON CAM policy.");
  }
}
