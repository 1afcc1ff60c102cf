// Thin wrapper of the official CVM SDK client. It builds the client from the
// settings, resolves credentials, counts requests, and turns every SDK
// exception into an ApiError whose message never contains a secret.
//
// The SDK itself has no retry and no rate limiting: those live in retry.ts,
// rate-limit.ts and scheduler/, on top of the CvmTransport interface below.

import * as http from "http";
import * as https from "https";
import { ApiError, CvmAction, LOCAL_CODES, registerSecret } from "./errors";
import { classifyError } from "./retry";
import { CredentialSpec, Endpoint, noCredentialsMessage } from "./settings";
import { counters } from "./stats";

const TOKEN_FAILURE = "AuthFailure.TokenFailure";

/** What this project needs to know about an instance. */
export interface InstanceView {
  instanceId: string;
  state: string;
  /** In priority order (first = highest). */
  securityGroupIds: string[];
  latestOperation: string;
  latestOperationState: string;
  latestOperationRequestId: string;
  latestOperationErrorMsg: string;
}

/** The three API calls, one request each; no retry, no batching. */
export interface CvmTransport {
  /** Returns the RequestId of the accepted (asynchronous) operation. */
  associate(securityGroupId: string, instanceIds: string[]): Promise<string>;
  disassociate(securityGroupId: string, instanceIds: string[]): Promise<string>;
  /** Instances that exist among `instanceIds` (≤ 100); unknown ids are simply absent. */
  describe(instanceIds: string[]): Promise<InstanceView[]>;
}

export interface Credentials {
  secretId: string;
  secretKey: string;
  token?: string;
}

export interface CredentialProvider {
  /** Names the source for rate limiting and messages; never a secret (the secretId of static keys, "default-chain", "assume-role:<arn>"...). */
  readonly identity: string;
  get(): Promise<Credentials>;
  /** Temporary credentials only: forget them, the API refused them (AuthFailure.TokenFailure). */
  invalidate?(): void;
}

/** The credential sources handled here; credentials.ts composes the others on top. */
export type BasicCredentialSpec = Extract<CredentialSpec, { kind: "static" } | { kind: "chain" }>;

/** Anything with `getCredential()` like the SDK's credential classes. */
interface SdkCredentialSource {
  getCredential(): Promise<{ secretId?: string; secretKey?: string; token?: string }>;
}

export interface ChainLoaders {
  profile: () => SdkCredentialSource;
  cvmRole: () => SdkCredentialSource;
}

const defaultLoaders: ChainLoaders = {
  profile: () => new (require("tencentcloud-sdk-nodejs-common").ProfileCredential)(),
  cvmRole: () => new (require("tencentcloud-sdk-nodejs-common").CvmRoleCredential)(),
};

export function remember(c: Credentials): Credentials {
  registerSecret(c.secretKey);
  registerSecret(c.token);
  return c;
}

export function credentialProvider(
  spec: BasicCredentialSpec,
  loaders: ChainLoaders = defaultLoaders,
): CredentialProvider {
  if (spec.kind === "static") {
    const c = remember({
      secretId: spec.secretId,
      secretKey: spec.secretKey,
      ...(spec.token ? { token: spec.token } : {}),
    });
    return { identity: spec.secretId, get: async () => c };
  }
  let profileResult: Credentials | null | undefined;
  let role: SdkCredentialSource | null = null;
  return {
    identity: "default-chain",
    async get(): Promise<Credentials> {
      if (profileResult === undefined) {
        try {
          const c = await loaders.profile().getCredential();
          profileResult =
            c && c.secretId && c.secretKey
              ? remember({
                  secretId: c.secretId,
                  secretKey: c.secretKey,
                  ...(c.token ? { token: c.token } : {}),
                })
              : null;
        } catch {
          profileResult = null;
        }
      }
      if (profileResult) return profileResult;
      if (spec.cvmRole) {
        try {
          role = role ?? loaders.cvmRole();
          const c = await role.getCredential();
          if (c && c.secretId && c.secretKey) {
            return remember({
              secretId: c.secretId,
              secretKey: c.secretKey,
              ...(c.token ? { token: c.token } : {}),
            });
          }
        } catch {
          // The SDK caches a failed role look-up forever: start afresh next time.
          role = null;
        }
      }
      throw new ApiError({
        action: "credentials",
        code: LOCAL_CODES.credentials,
        message: noCredentialsMessage(spec.cvmRole),
      });
    },
  };
}

/**
 * Turns whatever the SDK threw into an ApiError. The SDK's
 * TencentCloudSDKHttpException (not exported) carries `requestId`: business
 * errors add `code`, non-200 replies `httpCode`, network failures neither.
 * node-fetch's FetchError (a reply that is not JSON) counts as a network
 * failure. Anything else (a missing module, a bug) is a local, fatal error -
 * its `code` (e.g. MODULE_NOT_FOUND) is not an API code.
 */
export function toApiError(action: string, e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const x = (e ?? {}) as {
    code?: unknown;
    httpCode?: unknown;
    message?: unknown;
    requestId?: unknown;
    getRequestId?: unknown;
    name?: unknown;
  };
  const message = typeof x.message === "string" ? x.message : String(e);
  const requestId = typeof x.requestId === "string" && x.requestId ? x.requestId : undefined;
  const fromSdk = typeof x.requestId === "string" || typeof x.getRequestId === "function";
  if (fromSdk && typeof x.code === "string" && x.code) {
    return new ApiError({ action, code: x.code, message, requestId });
  }
  if (fromSdk && typeof x.httpCode === "number") {
    return new ApiError({
      action,
      code: LOCAL_CODES.http,
      message: message || `HTTP ${x.httpCode}`,
      httpStatus: x.httpCode,
      requestId,
    });
  }
  if (fromSdk || x.name === "FetchError") {
    return new ApiError({ action, code: LOCAL_CODES.network, message, requestId });
  }
  return new ApiError({ action, code: LOCAL_CODES.internal, message });
}

function str(v: unknown): string {
  return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
}

export function toInstanceView(raw: any): InstanceView {
  return {
    instanceId: str(raw?.InstanceId),
    state: str(raw?.InstanceState),
    securityGroupIds: Array.isArray(raw?.SecurityGroupIds) ? raw.SecurityGroupIds.map(str) : [],
    latestOperation: str(raw?.LatestOperation),
    latestOperationState: str(raw?.LatestOperationState),
    latestOperationRequestId: str(raw?.LatestOperationRequestId),
    latestOperationErrorMsg: str(raw?.LatestOperationErrorMsg),
  };
}

/**
 * The SDK's httpProfile for an endpoint. The SDK routes everything through env
 * http_proxy when it is set and no agent is given. A local endpoint must never
 * go through a proxy, so it gets an explicit agent (keep-alive, which also
 * saves connection set-up); the caller destroys it when done.
 */
export function httpProfileFor(
  ep: Endpoint,
  requestTimeoutMs: number,
): { httpProfile: Record<string, unknown>; agent?: http.Agent } {
  const agent = ep.loopback
    ? ep.protocol === "http://"
      ? new http.Agent({ keepAlive: true, maxSockets: 64 })
      : new https.Agent({ keepAlive: true, maxSockets: 64 })
    : undefined;
  return {
    httpProfile: {
      endpoint: ep.host,
      protocol: ep.protocol,
      reqTimeout: requestTimeoutMs / 1000,
      ...(agent ? { agent } : {}),
    },
    ...(agent ? { agent } : {}),
  };
}

export interface SdkTransportOptions {
  endpoint: Endpoint;
  region: string;
  credentials: CredentialProvider;
  requestTimeoutMs: number;
}

interface SdkClient {
  AssociateSecurityGroups(req: any): Promise<any>;
  DisassociateSecurityGroups(req: any): Promise<any>;
  DescribeInstances(req: any): Promise<any>;
}

/** The real transport: the official SDK client over HTTP(S). */
export class SdkTransport implements CvmTransport {
  private client: SdkClient | null = null;
  private current: Credentials | null = null;
  private agent: http.Agent | undefined;

  constructor(private readonly opts: SdkTransportOptions) {}

  private getClient(): SdkClient {
    if (this.client) return this.client;
    const { Client } = require("tencentcloud-sdk-nodejs-cvm").cvm.v20170312;
    const ep = this.opts.endpoint;
    const { httpProfile, agent } = httpProfileFor(ep, this.opts.requestTimeoutMs);
    this.agent = agent;
    this.client = new Client({
      credential: { getCredential: async () => this.current },
      region: this.opts.region,
      profile: { httpProfile },
    }) as SdkClient;
    return this.client;
  }

  private async call(action: CvmAction, req: any, instanceCount: number, renewed = false): Promise<any> {
    const creds = await this.opts.credentials.get();
    this.current = creds;
    const client = this.getClient();
    counters.request(action, instanceCount);
    try {
      return await client[action](req);
    } catch (e) {
      const err = toApiError(action, e);
      // Temporary credentials refused (expired in flight, clock skew): renew once and resend.
      if (err.code === TOKEN_FAILURE && !renewed && this.opts.credentials.invalidate) {
        counters.error(err.code);
        this.opts.credentials.invalidate();
        return this.call(action, req, instanceCount, true);
      }
      counters.error(err.code);
      const cls = classifyError(err);
      if (cls === "throttling") counters.throttled();
      if (cls === "busy") counters.busy();
      throw err;
    }
  }

  async associate(securityGroupId: string, instanceIds: string[]): Promise<string> {
    const res = await this.call(
      "AssociateSecurityGroups",
      { SecurityGroupIds: [securityGroupId], InstanceIds: instanceIds },
      instanceIds.length,
    );
    return str(res?.RequestId);
  }

  async disassociate(securityGroupId: string, instanceIds: string[]): Promise<string> {
    const res = await this.call(
      "DisassociateSecurityGroups",
      { SecurityGroupIds: [securityGroupId], InstanceIds: instanceIds },
      instanceIds.length,
    );
    return str(res?.RequestId);
  }

  async describe(instanceIds: string[]): Promise<InstanceView[]> {
    if (instanceIds.length === 0) return [];
    const res = await this.call(
      "DescribeInstances",
      { InstanceIds: instanceIds, Offset: 0, Limit: Math.min(100, instanceIds.length) },
      instanceIds.length,
    );
    const set = Array.isArray(res?.InstanceSet) ? res.InstanceSet : [];
    return set.map(toInstanceView);
  }

  /** One page of the instances that hold `securityGroupId` (DescribeInstances filtered by group). */
  async describeByGroup(
    securityGroupId: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; views: InstanceView[] }> {
    const res = await this.call(
      "DescribeInstances",
      { Filters: [{ Name: "security-group-id", Values: [securityGroupId] }], Offset: offset, Limit: limit },
      0,
    );
    const set = Array.isArray(res?.InstanceSet) ? res.InstanceSet : [];
    return { total: Number(res?.TotalCount) || 0, views: set.map(toInstanceView) };
  }

  /** Closes keep-alive sockets. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
    this.client = null;
  }
}
