// STS through the official SDK (tencentcloud-sdk-nodejs-sts): AssumeRole for
// the assume-role step of the credential chain, GetCallerIdentity for the
// account guard. One request each, no retry; errors become ApiErrors whose
// messages never contain a secret.

import { Credentials, httpProfileFor, remember, toApiError } from "./api";
import type { ExpiringCredentials } from "./renewal";
import type { AssumeRoleSpec, Endpoint } from "./settings";

export interface CallerIdentity {
  accountId: string;
  arn: string;
}

export interface StsApi {
  assumeRole(signer: Credentials, spec: AssumeRoleSpec): Promise<ExpiringCredentials>;
  callerIdentity(signer: Credentials): Promise<CallerIdentity>;
}

export interface SdkStsOptions {
  endpoint: Endpoint;
  /** STS is global, but the SDK needs a region to sign with. */
  region: string;
  requestTimeoutMs: number;
}

export class SdkSts implements StsApi {
  constructor(private readonly opts: SdkStsOptions) {}

  private async send(
    action: "AssumeRole" | "GetCallerIdentity",
    signer: Credentials,
    req: object,
  ): Promise<any> {
    const { Client } = require("tencentcloud-sdk-nodejs-sts").sts.v20180813;
    const { httpProfile, agent } = httpProfileFor(this.opts.endpoint, this.opts.requestTimeoutMs);
    const client = new Client({
      credential: { secretId: signer.secretId, secretKey: signer.secretKey, token: signer.token },
      region: this.opts.region,
      profile: { httpProfile },
    });
    try {
      return await client[action](req);
    } catch (e) {
      throw toApiError(action, e);
    } finally {
      agent?.destroy();
    }
  }

  async assumeRole(signer: Credentials, spec: AssumeRoleSpec): Promise<ExpiringCredentials> {
    const res = await this.send("AssumeRole", signer, {
      RoleArn: spec.roleArn,
      RoleSessionName: spec.sessionName,
      DurationSeconds: spec.durationSeconds,
      ...(spec.policy ? { Policy: encodeURIComponent(spec.policy) } : {}),
      ...(spec.externalId ? { ExternalId: spec.externalId } : {}),
    });
    const c = res?.Credentials ?? {};
    if (!c.TmpSecretId || !c.TmpSecretKey || !c.Token || typeof res?.ExpiredTime !== "number") {
      throw toApiError("AssumeRole", new Error("AssumeRole returned no credentials"));
    }
    const creds = remember({ secretId: c.TmpSecretId, secretKey: c.TmpSecretKey, token: c.Token });
    return { ...creds, expiresAtMs: res.ExpiredTime * 1000 } as ExpiringCredentials;
  }

  async callerIdentity(signer: Credentials): Promise<CallerIdentity> {
    const res = await this.send("GetCallerIdentity", signer, {});
    return { accountId: String(res?.AccountId ?? ""), arn: String(res?.Arn ?? "") };
  }
}
