// Pure resolution of the provider's settings from the stack config and the
// environment. Nothing here performs I/O; `configSource` and `env` are passed
// in so that the rules can be unit-tested exhaustively.
//
// Precedence (documented in the README):
// - credentials: stack config `tencentcloud:secretId`/`secretKey`/`securityToken`,
//   else env TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY/(TENCENTCLOUD_SECURITY_TOKEN
//   or TENCENTCLOUD_SESSION_TOKEN), else the SDK's profile file, else the CVM role
//   (instance metadata) unless skipped.
// - region: the resource's input, else config `tencentcloud:region`, else env TENCENTCLOUD_REGION.
// - endpoint: env TENCENTCLOUD_CVM_ENDPOINT, else config `tencentcloud-sg-attachment:cvmEndpoint`,
//   else https://cvm.tencentcloudapi.com (env first so that a harness can always
//   redirect a stack to a local emulator).
// - tuning: config `tencentcloud-sg-attachment:<key>`, else env SGATTACH_<KEY>, else the default.

/** Reads one stack-config value by its full, namespaced key (`tencentcloud:region`). */
export type ConfigSource = (key: string) => string | undefined;
export type Env = Record<string, string | undefined>;

export const PROVIDER_NAMESPACE = "tencentcloud-sg-attachment";
export const DEFAULT_ENDPOINT = "https://cvm.tencentcloudapi.com";

export const CONFIG_KEYS = {
  secretId: "tencentcloud:secretId",
  secretKey: "tencentcloud:secretKey",
  securityToken: "tencentcloud:securityToken",
  region: "tencentcloud:region",
  cvmEndpoint: `${PROVIDER_NAMESPACE}:cvmEndpoint`,
  skipCvmRole: `${PROVIDER_NAMESPACE}:skipCvmRole`,
} as const;

export const ENV_KEYS = {
  secretId: "TENCENTCLOUD_SECRET_ID",
  secretKey: "TENCENTCLOUD_SECRET_KEY",
  securityToken: "TENCENTCLOUD_SECURITY_TOKEN",
  sessionToken: "TENCENTCLOUD_SESSION_TOKEN",
  region: "TENCENTCLOUD_REGION",
  cvmEndpoint: "TENCENTCLOUD_CVM_ENDPOINT",
  skipCvmRole: "TENCENTCLOUD_SKIP_CVM_ROLE",
} as const;

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

export interface Endpoint {
  /** Normalised URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** What the SDK wants in `httpProfile.protocol`. */
  protocol: "http://" | "https://";
  /** What the SDK wants in `httpProfile.endpoint`: host[:port]. */
  host: string;
  /** True for localhost / 127.0.0.0/8 / ::1. */
  loopback: boolean;
}

export interface Tuning {
  /** Overall deadline of one create/update/delete/read, including waits. */
  operationTimeoutMs: number;
  /** Client-side request budget per rolling second, per action. */
  associateRps: number;
  disassociateRps: number;
  describeRps: number;
  /** How often the completion of asynchronous operations is polled. */
  pollIntervalMs: number;
  /** How long a request waits for others of the same kind to join it. */
  gatherWindowMs: number;
  /** The longest a request waits for others to join it while they keep coming. */
  gatherMaxMs: number;
  /** Exponential backoff with full jitter: base and cap. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Attempts for transient failures (network, 5xx, InternalError) of one request. */
  maxTransientAttempts: number;
  /** Timeout of one HTTP request. */
  requestTimeoutMs: number;
  /** Instances per Associate/Disassociate/DescribeInstances request (1..100). */
  maxBatchSize: number;
  /**
   * An accepted operation whose RequestId never shows up on the instance while
   * the instance is idle and not in the wanted state is re-sent after this long.
   */
  lostOperationGraceMs: number;
  /** During long work, at most one progress line per group this often (`sg-…: 240/1000 bound`). */
  progressIntervalMs: number;
}

export const DEFAULT_TUNING: Tuning = {
  operationTimeoutMs: 10 * 60 * 1000,
  associateRps: 10,
  disassociateRps: 10,
  describeRps: 20,
  pollIntervalMs: 250,
  gatherWindowMs: 100,
  gatherMaxMs: 4000,
  retryBaseDelayMs: 250,
  retryMaxDelayMs: 10_000,
  maxTransientAttempts: 5,
  requestTimeoutMs: 30_000,
  maxBatchSize: 100,
  lostOperationGraceMs: 5_000,
  progressIntervalMs: 5_000,
};

interface TuningSpec {
  min: number;
  max: number;
  integer: boolean;
}

const TUNING_SPECS: Record<keyof Tuning, TuningSpec> = {
  operationTimeoutMs: { min: 1, max: 24 * 3600 * 1000, integer: true },
  associateRps: { min: 0.1, max: 1000, integer: false },
  disassociateRps: { min: 0.1, max: 1000, integer: false },
  describeRps: { min: 0.1, max: 1000, integer: false },
  pollIntervalMs: { min: 1, max: 60_000, integer: true },
  gatherWindowMs: { min: 0, max: 5_000, integer: true },
  gatherMaxMs: { min: 0, max: 30_000, integer: true },
  retryBaseDelayMs: { min: 0, max: 60_000, integer: true },
  retryMaxDelayMs: { min: 0, max: 600_000, integer: true },
  maxTransientAttempts: { min: 1, max: 100, integer: true },
  requestTimeoutMs: { min: 100, max: 600_000, integer: true },
  maxBatchSize: { min: 1, max: 100, integer: true },
  lostOperationGraceMs: { min: 0, max: 3_600_000, integer: true },
  progressIntervalMs: { min: 100, max: 3_600_000, integer: true },
};

/** `operationTimeoutMs` → `SGATTACH_OPERATION_TIMEOUT_MS`. */
export function tuningEnvName(key: keyof Tuning): string {
  return "SGATTACH_" + key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

export function tuningConfigKey(key: keyof Tuning): string {
  return `${PROVIDER_NAMESPACE}:${key}`;
}

export interface Settings {
  /** Default region (config or env); the resource's own input wins over it. */
  region?: string;
  regionSource?: "config" | "env";
  endpoint: Endpoint;
  /** True when the CVM-role credential step must not run. */
  skipCvmRole: boolean;
  tuning: Tuning;
}

export type CredentialSpec =
  | { kind: "static"; secretId: string; secretKey: string; token?: string; source: "config" | "env" }
  | { kind: "chain"; cvmRole: boolean };

function nonEmpty(v: string | undefined | null): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  return s === "" ? undefined : s;
}

function parseBool(raw: string, name: string): boolean {
  const v = raw.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off", ""].includes(v)) return false;
  throw new SettingsError(`${name} must be true or false, got "${raw}".`);
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Parses a full endpoint URL into what the SDK's httpProfile needs. */
export function parseEndpoint(raw: string, source: string): Endpoint {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SettingsError(
      `${source} must be a full URL such as https://cvm.tencentcloudapi.com or http://127.0.0.1:8080, got "${text}".`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SettingsError(`${source} must use http:// or https://, got "${text}".`);
  }
  if ((url.pathname && url.pathname !== "/") || url.search || url.hash) {
    throw new SettingsError(`${source} must not have a path, query or fragment, got "${text}".`);
  }
  if (url.username || url.password) {
    throw new SettingsError(`${source} must not contain user info.`);
  }
  const protocol = url.protocol === "http:" ? "http://" : "https://";
  return {
    url: `${protocol}${url.host}`,
    protocol,
    host: url.host,
    loopback: isLoopbackHost(url.hostname),
  };
}

function readTuning(config: ConfigSource, env: Env): Tuning {
  const tuning: Tuning = { ...DEFAULT_TUNING };
  for (const key of Object.keys(TUNING_SPECS) as (keyof Tuning)[]) {
    const cfgKey = tuningConfigKey(key);
    const envKey = tuningEnvName(key);
    const fromConfig = nonEmpty(config(cfgKey));
    const fromEnv = nonEmpty(env[envKey]);
    const raw = fromConfig ?? fromEnv;
    if (raw === undefined) continue;
    const name = fromConfig !== undefined ? `config ${cfgKey}` : `env ${envKey}`;
    const n = Number(raw);
    const spec = TUNING_SPECS[key];
    if (!Number.isFinite(n) || n < spec.min || n > spec.max || (spec.integer && !Number.isInteger(n))) {
      throw new SettingsError(
        `${name} must be ${spec.integer ? "an integer" : "a number"} between ${spec.min} and ${spec.max}, got "${raw}".`,
      );
    }
    tuning[key] = n;
  }
  if (tuning.retryMaxDelayMs < tuning.retryBaseDelayMs) tuning.retryMaxDelayMs = tuning.retryBaseDelayMs;
  return tuning;
}

/**
 * Resolves everything but the credentials (which are only needed for API
 * calls, see {@link resolveCredentialSpec}). Throws {@link SettingsError} on
 * malformed values; never includes a secret in a message.
 */
export function resolveSettings(config: ConfigSource, env: Env): Settings {
  const cfgEndpoint = nonEmpty(config(CONFIG_KEYS.cvmEndpoint));
  const envEndpoint = nonEmpty(env[ENV_KEYS.cvmEndpoint]);
  const endpoint = envEndpoint
    ? parseEndpoint(envEndpoint, `env ${ENV_KEYS.cvmEndpoint}`)
    : cfgEndpoint
      ? parseEndpoint(cfgEndpoint, `config ${CONFIG_KEYS.cvmEndpoint}`)
      : parseEndpoint(DEFAULT_ENDPOINT, "default endpoint");

  const cfgSkip = nonEmpty(config(CONFIG_KEYS.skipCvmRole));
  const envSkip = nonEmpty(env[ENV_KEYS.skipCvmRole]);
  const skipFlag =
    (cfgSkip !== undefined && parseBool(cfgSkip, `config ${CONFIG_KEYS.skipCvmRole}`)) ||
    (envSkip !== undefined && parseBool(envSkip, `env ${ENV_KEYS.skipCvmRole}`));

  const cfgRegion = nonEmpty(config(CONFIG_KEYS.region));
  const envRegion = nonEmpty(env[ENV_KEYS.region]);

  return {
    region: cfgRegion ?? envRegion,
    regionSource: cfgRegion ? "config" : envRegion ? "env" : undefined,
    endpoint,
    skipCvmRole: skipFlag || endpoint.loopback,
    tuning: readTuning(config, env),
  };
}

export const CREDENTIAL_HELP =
  `Set stack config ${CONFIG_KEYS.secretId} and ${CONFIG_KEYS.secretKey} ` +
  `(pulumi config set --secret ${CONFIG_KEYS.secretKey} ...; optionally ${CONFIG_KEYS.securityToken}), ` +
  `or env ${ENV_KEYS.secretId} and ${ENV_KEYS.secretKey} ` +
  `(optionally ${ENV_KEYS.securityToken} or ${ENV_KEYS.sessionToken}), ` +
  `or a profile file ~/.tencentcloud/credentials`;

/**
 * Where credentials come from. Static when config or env provide them;
 * otherwise the SDK's chain (profile file, then the CVM role unless skipped).
 * A half-configured source (id without key or the reverse) is an error rather
 * than a silent fall-through to another source.
 */
export function resolveCredentialSpec(config: ConfigSource, env: Env, settings: Settings): CredentialSpec {
  const cId = nonEmpty(config(CONFIG_KEYS.secretId));
  const cKey = nonEmpty(config(CONFIG_KEYS.secretKey));
  if (cId || cKey) {
    if (!cId || !cKey) {
      throw new SettingsError(
        `Incomplete credentials in stack config: set both ${CONFIG_KEYS.secretId} and ${CONFIG_KEYS.secretKey} ` +
          `(missing ${!cId ? CONFIG_KEYS.secretId : CONFIG_KEYS.secretKey}).`,
      );
    }
    const token = nonEmpty(config(CONFIG_KEYS.securityToken));
    return { kind: "static", secretId: cId, secretKey: cKey, ...(token ? { token } : {}), source: "config" };
  }
  const eId = nonEmpty(env[ENV_KEYS.secretId]);
  const eKey = nonEmpty(env[ENV_KEYS.secretKey]);
  if (eId || eKey) {
    if (!eId || !eKey) {
      throw new SettingsError(
        `Incomplete credentials in the environment: set both ${ENV_KEYS.secretId} and ${ENV_KEYS.secretKey} ` +
          `(missing ${!eId ? ENV_KEYS.secretId : ENV_KEYS.secretKey}).`,
      );
    }
    const token = nonEmpty(env[ENV_KEYS.securityToken]) ?? nonEmpty(env[ENV_KEYS.sessionToken]);
    return { kind: "static", secretId: eId, secretKey: eKey, ...(token ? { token } : {}), source: "env" };
  }
  return { kind: "chain", cvmRole: !settings.skipCvmRole };
}

/** The error raised when no credential source produced anything. */
export function noCredentialsMessage(cvmRoleTried: boolean): string {
  return (
    `No Tencent Cloud credentials found. ${CREDENTIAL_HELP}` +
    (cvmRoleTried
      ? ", or run on a CVM instance with a CAM role bound."
      : `. (The CVM-role step was skipped: the endpoint is local or ${CONFIG_KEYS.skipCvmRole} / ` +
        `${ENV_KEYS.skipCvmRole}=true is set.)`)
  );
}

/** Region precedence: resource input, then config, then env. */
export function resolveRegion(
  input: string | undefined,
  settings: Pick<Settings, "region">,
): string | undefined {
  const own = nonEmpty(input);
  return own ?? settings.region;
}

export const REGION_HELP =
  `Set the resource's region input, or stack config ${CONFIG_KEYS.region} ` +
  `(pulumi config set ${CONFIG_KEYS.region} ap-guangzhou), or env ${ENV_KEYS.region}.`;
