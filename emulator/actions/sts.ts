// STS actions (version 2018-08-13, not regional): AssumeRole and GetCallerIdentity.

import { apiFault } from "../errors";
import { S } from "../protocol/params";
import type { ActionDef } from "./types";

const VERSION = "2018-08-13";

const assumeRole: ActionDef = {
  name: "AssumeRole",
  service: "sts",
  version: VERSION,
  global: true,
  schema: S.object({
    RoleArn: S.req(S.string()),
    RoleSessionName: S.req(S.string()),
    DurationSeconds: S.opt(S.integer()),
    Policy: S.opt(S.string()),
    ExternalId: S.opt(S.string()),
    SourceIdentity: S.opt(S.string()),
    SerialNumber: S.opt(S.string()),
    TokenCode: S.opt(S.string()),
  }),
  handler(params, ctx) {
    if (params.SerialNumber !== undefined || params.TokenCode !== undefined) {
      throw apiFault("UnsupportedOperation", "MFA for AssumeRole is not emulated.");
    }
    const c = ctx.identity.assumeRole(
      ctx.callerSecretId,
      {
        roleArn: params.RoleArn as string,
        sessionName: params.RoleSessionName as string,
        ...(params.DurationSeconds !== undefined
          ? { durationSeconds: params.DurationSeconds as number }
          : {}),
        ...(params.ExternalId !== undefined ? { externalId: params.ExternalId as string } : {}),
        ...(params.Policy !== undefined ? { policy: params.Policy as string } : {}),
      },
      ctx.nowMs,
      ctx.stsTokenLifetimeSeconds,
    );
    return {
      Credentials: { Token: c.token, TmpSecretId: c.tmpSecretId, TmpSecretKey: c.tmpSecretKey },
      ExpiredTime: c.expiredTime,
      Expiration: new Date(c.expiredTime * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    };
  },
};

const getCallerIdentity: ActionDef = {
  name: "GetCallerIdentity",
  service: "sts",
  version: VERSION,
  global: true,
  schema: S.object({}),
  handler(_params, ctx) {
    const p = ctx.identity.callerOf(ctx.callerSecretId);
    return {
      Arn: p.arn,
      AccountId: p.accountId,
      UserId: p.userId,
      PrincipalId: p.principalId,
      Type: p.type,
    };
  },
};

export const STS_ACTIONS: ActionDef[] = [assumeRole, getCallerIdentity];
