// Process-wide registry of API contexts: one transport + scheduler per
// (endpoint, credentials, region), shared by every resource the provider
// process serves, with rate limiters keyed by (endpoint, secretId, action).
// The region is deliberately NOT part of the limiter key: whether the API's
// 10 requests/s apply per region or per account is not documented (the
// emulator counts per secretId), and sharing one budget across regions can
// only make us slower, never throttled.

import { createHash } from "crypto";
import { credentialProvider, CredentialProvider, CvmTransport, SdkTransport } from "./api";
import { getLimiter, limiterKey, resetLimiters } from "./rate-limit";
import { ACTION_OF, LimiterName, Scheduler } from "./scheduler";
import type { CredentialSpec, Settings, Tuning } from "./settings";
import { counters } from "./stats";

export interface ApiContext {
  key: string;
  region: string;
  scheduler: Scheduler;
  transport: CvmTransport;
  tuning: Tuning;
}

interface Entry {
  ctx: ApiContext;
  tuningRef: { current: Tuning };
}

const contexts = new Map<string, Entry>();
const credentialProviders = new Map<string, CredentialProvider>();

function fingerprint(spec: CredentialSpec): string {
  if (spec.kind === "chain") return `chain:${spec.cvmRole}`;
  const h = createHash("sha256")
    .update(`${spec.secretId}\0${spec.secretKey}\0${spec.token ?? ""}`)
    .digest("hex");
  return `static:${h.slice(0, 16)}`;
}

function rpsFor(name: LimiterName, t: Tuning): number {
  return name === "associate" ? t.associateRps : name === "disassociate" ? t.disassociateRps : t.describeRps;
}

/** Factory for the transport; replaceable in tests. */
export type TransportFactory = (opts: {
  settings: Settings;
  region: string;
  credentials: CredentialProvider;
}) => CvmTransport;

const sdkFactory: TransportFactory = ({ settings, region, credentials }) =>
  new SdkTransport({
    endpoint: settings.endpoint,
    region,
    credentials,
    requestTimeoutMs: settings.tuning.requestTimeoutMs,
  });

export function getContext(
  settings: Settings,
  spec: CredentialSpec,
  region: string,
  factory: TransportFactory = sdkFactory,
): ApiContext {
  const fp = fingerprint(spec);
  let creds = credentialProviders.get(fp);
  if (!creds) {
    creds = credentialProvider(spec);
    credentialProviders.set(fp, creds);
  }
  const key = `${settings.endpoint.url}|${fp}|${region}`;
  const existing = contexts.get(key);
  if (existing) {
    existing.tuningRef.current = settings.tuning;
    existing.ctx.tuning = settings.tuning;
    return existing.ctx;
  }
  const tuningRef = { current: settings.tuning };
  const transport = factory({ settings, region, credentials: creds });
  const identity = creds.identity;
  const scheduler = new Scheduler({
    transport,
    tuning: () => tuningRef.current,
    limiter: (name) => {
      const limiter = getLimiter(
        limiterKey({ endpoint: settings.endpoint.url, secretId: identity, action: ACTION_OF[name] }),
        rpsFor(name, tuningRef.current),
      );
      return {
        acquire: async () => {
          const started = Date.now();
          const t = await limiter.acquire();
          counters.rateLimitWait(ACTION_OF[name], Date.now() - started);
          return t;
        },
        penalize: (ms: number) => limiter.penalize(ms),
      };
    },
  });
  const ctx: ApiContext = { key, region, scheduler, transport, tuning: settings.tuning };
  contexts.set(key, { ctx, tuningRef });
  return ctx;
}

/** True when no context has work queued or in flight. */
export function allIdle(): boolean {
  for (const { ctx } of contexts.values()) if (!ctx.scheduler.idle()) return false;
  return true;
}

/** Drops every context (closing keep-alive sockets) and limiter. For tests. */
export function resetContexts(): void {
  for (const { ctx } of contexts.values()) {
    const t = ctx.transport as { close?: () => void };
    t.close?.();
  }
  contexts.clear();
  credentialProviders.clear();
  resetLimiters();
}
