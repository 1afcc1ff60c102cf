// Process-wide registry of API contexts: one transport + scheduler per
// (endpoint, credentials, region), shared by every resource the provider
// process serves, with rate limiters keyed by (endpoint, secretId, action).
// The region is deliberately NOT part of the limiter key: whether the API's
// 10 requests/s apply per region or per account is not documented (the
// emulator counts per secretId), and sharing one budget across regions can
// only make us slower, never throttled.

import { createHash } from "crypto";
import { CredentialProvider, CvmTransport, SdkTransport } from "./api";
import { ensureAllowedAccount, resetAccountChecks } from "./account-guard";
import { buildCredentialProvider, stsFor } from "./credentials";
import { holderListing, type ListHolders } from "./membership/holders";
import { getLimiter, limiterKey, resetLimiters } from "./rate-limit";
import { RetryPolicy } from "./retry";
import { ACTION_OF, LimiterName, Scheduler } from "./scheduler";
import type { CredentialPlan, Settings, Tuning } from "./settings";
import { counters } from "./stats";

export interface ApiContext {
  scheduler: Scheduler;
  transport: CvmTransport;
  /** Every instance holding a group (the membership's look-up), through the same limiter. */
  holders: ListHolders;
}

interface Entry {
  ctx: ApiContext;
  tuningRef: { current: Tuning };
}

const contexts = new Map<string, Entry>();
const credentialProviders = new Map<string, CredentialProvider>();

/** Names a credential chain without holding its secrets (hashed with where STS and the metadata service are). */
function fingerprint(plan: CredentialPlan, settings: Settings): string {
  const h = createHash("sha256")
    .update(JSON.stringify([plan, settings.stsEndpoint.url, settings.metadataEndpoint.url]))
    .digest("hex");
  return `${plan.base.kind}:${h.slice(0, 16)}`;
}

function rpsFor(name: LimiterName, t: Tuning): number {
  return name === "associate" ? t.associateRps : name === "disassociate" ? t.disassociateRps : t.describeRps;
}

function getContext(settings: Settings, plan: CredentialPlan, region: string): ApiContext {
  const fp = fingerprint(plan, settings);
  const creds = credentialsFor(plan, settings, fp);
  const key = `${settings.endpoint.url}|${fp}|${region}`;
  const existing = contexts.get(key);
  if (existing) {
    existing.tuningRef.current = settings.tuning;
    return existing.ctx;
  }
  const tuningRef = { current: settings.tuning };
  const transport = new SdkTransport({
    endpoint: settings.endpoint,
    region,
    credentials: creds,
    requestTimeoutMs: settings.tuning.requestTimeoutMs,
  });
  const identity = creds.identity;
  const limiter = (name: LimiterName) => {
    const l = getLimiter(
      limiterKey({ endpoint: settings.endpoint.url, secretId: identity, action: ACTION_OF[name] }),
      rpsFor(name, tuningRef.current),
    );
    return {
      acquire: async () => {
        const started = Date.now();
        const t = await l.acquire();
        counters.rateLimitWait(ACTION_OF[name], Date.now() - started);
        return t;
      },
      penalize: (ms: number) => l.penalize(ms),
    };
  };
  const scheduler = new Scheduler({ transport, tuning: () => tuningRef.current, limiter });
  const policy = new RetryPolicy(() => {
    const t = tuningRef.current;
    return {
      baseDelayMs: t.retryBaseDelayMs,
      maxDelayMs: t.retryMaxDelayMs,
      maxTransientAttempts: t.maxTransientAttempts,
    };
  });
  const holders = holderListing(transport, () => limiter("describe"), policy);
  const ctx: ApiContext = { scheduler, transport, holders };
  contexts.set(key, { ctx, tuningRef });
  return ctx;
}

function credentialsFor(plan: CredentialPlan, settings: Settings, fp: string): CredentialProvider {
  let creds = credentialProviders.get(fp);
  if (!creds) {
    creds = buildCredentialProvider(plan, settings);
    credentialProviders.set(fp, creds);
  }
  return creds;
}

/**
 * The context, once the account guard (`tencentcloud:allowedAccountIds`)
 * passed for this credential chain: call before anything that could change
 * the cloud.
 */
export async function getCheckedContext(
  settings: Settings,
  plan: CredentialPlan,
  region: string,
): Promise<ApiContext> {
  const fp = fingerprint(plan, settings);
  await ensureAllowedAccount(
    fp,
    settings.allowedAccountIds,
    credentialsFor(plan, settings, fp),
    stsFor(settings),
  );
  return getContext(settings, plan, region);
}

/** Drops every context (closing keep-alive sockets) and limiter. For tests. */
export function resetContexts(): void {
  for (const { ctx } of contexts.values()) {
    const t = ctx.transport as { close?: () => void };
    t.close?.();
  }
  contexts.clear();
  credentialProviders.clear();
  resetAccountChecks();
  resetLimiters();
}
