// Pure resolution of the provider's settings from the stack config and the
// environment. Nothing here performs I/O; `configSource` and `env` are passed
// in so that the rules can be unit-tested exhaustively.
//
// Precedence (the official provider's order; documented in docs/credentials.md):
// - credentials, base: `tencentcloud:camRoleName`/TENCENTCLOUD_CAM_ROLE_NAME (a named
//   CVM role) replaces everything below; else stack config
//   `tencentcloud:secretId`/`secretKey`/`securityToken`, else env
//   TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY/(TENCENTCLOUD_SECURITY_TOKEN or
//   TENCENTCLOUD_SESSION_TOKEN), else the tccli profile `<sharedCredentialsDir>/<profile>.credential`
//   (default ~/.tccli/default.credential), else the SDK's ~/.tencentcloud/credentials,
//   else the unnamed CVM role unless skipped.
// - then one STS AssumeRole on top of the base: config `tencentcloud:assumeRole` (fields
//   default to the TENCENTCLOUD_ASSUME_ROLE_* env vars), else those env vars, else the
//   profile file's role-arn/role-session-name.
// - region: the resource's input, else config `tencentcloud:region`, else env TENCENTCLOUD_REGION.
// - endpoints: env TENCENTCLOUD_CVM_ENDPOINT, else config `tencentcloud-sg-attachment:cvmEndpoint`,
//   else <protocol>://cvm.<domain> (env first so that a harness can always redirect a
//   stack to a local emulator). STS and the metadata service have overrides of their own;
//   without one they follow a loopback CVM endpoint, so local runs never leave the machine.
// - tuning: config `tencentcloud-sg-attachment:<key>`, else env SGATTACH_<KEY>, else the default.

/** Reads one stack-config value by its full, namespaced key (`tencentcloud:region`). */
export type ConfigSource = (key: string) => string | undefined;
export type Env = Record<string, string | undefined>;

export const PROVIDER_NAMESPACE = "tencentcloud-sg-attachment";
export const DEFAULT_ENDPOINT = "https://cvm.tencentcloudapi.com";

export const DEFAULT_DOMAIN = "tencentcloudapi.com";
export const DEFAULT_METADATA_ENDPOINT = "http://metadata.tencentyun.com";
export const DEFAULT_PROFILE = "default";
export const DEFAULT_SESSION_DURATION_S = 7200;
export const MAX_SESSION_DURATION_S = 43200;

export const CONFIG_KEYS = {
  secretId: "tencentcloud:secretId",
  secretKey: "tencentcloud:secretKey",
  securityToken: "tencentcloud:securityToken",
  region: "tencentcloud:region",
  profile: "tencentcloud:profile",
  sharedCredentialsDir: "tencentcloud:sharedCredentialsDir",
  assumeRole: "tencentcloud:assumeRole",
  camRoleName: "tencentcloud:camRoleName",
  domain: "tencentcloud:domain",
  protocol: "tencentcloud:protocol",
  allowedAccountIds: "tencentcloud:allowedAccountIds",
  cvmEndpoint: `${PROVIDER_NAMESPACE}:cvmEndpoint`,
  stsEndpoint: `${PROVIDER_NAMESPACE}:stsEndpoint`,
  metadataEndpoint: `${PROVIDER_NAMESPACE}:metadataEndpoint`,
  skipCvmRole: `${PROVIDER_NAMESPACE}:skipCvmRole`,
} as const;

export const ENV_KEYS = {
  secretId: "TENCENTCLOUD_SECRET_ID",
  secretKey: "TENCENTCLOUD_SECRET_KEY",
  securityToken: "TENCENTCLOUD_SECURITY_TOKEN",
  sessionToken: "TENCENTCLOUD_SESSION_TOKEN",
  region: "TENCENTCLOUD_REGION",
  profile: "TENCENTCLOUD_PROFILE",
  sharedCredentialsDir: "TENCENTCLOUD_SHARED_CREDENTIALS_DIR",
  assumeRoleArn: "TENCENTCLOUD_ASSUME_ROLE_ARN",
  assumeRoleSessionName: "TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME",
  assumeRoleSessionDuration: "TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION",
  assumeRoleExternalId: "TENCENTCLOUD_ASSUME_ROLE_EXTERNAL_ID",
  camRoleName: "TENCENTCLOUD_CAM_ROLE_NAME",
  domain: "TENCENTCLOUD_DOMAIN",
  protocol: "TENCENTCLOUD_PROTOCOL",
  cvmEndpoint: "TENCENTCLOUD_CVM_ENDPOINT",
  stsEndpoint: "TENCENTCLOUD_STS_ENDPOINT",
  metadataEndpoint: "TENCENTCLOUD_METADATA_ENDPOINT",
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
  /** The CVM API. */
  endpoint: Endpoint;
  /** STS (AssumeRole, GetCallerIdentity). */
  stsEndpoint: Endpoint;
  /** The CVM instance metadata service (the camRoleName step). */
  metadataEndpoint: Endpoint;
  /** True when the unnamed CVM-role credential step must not run. */
  skipCvmRole: boolean;
  /** `tencentcloud:allowedAccountIds`; empty = no account guard. */
  allowedAccountIds: string[];
  tuning: Tuning;
}

export type CredentialSpec =
  | { kind: "static"; secretId: string; secretKey: string; token?: string; source: "config" | "env" }
  /** A tccli profile file; when it is the default profile and missing, the SDK chain follows. */
  | { kind: "profile"; profile: string; file: string; named: boolean; cvmRole: boolean }
  /** A named CVM role, from the instance metadata service. */
  | { kind: "camRole"; roleName: string; source: "config" | "env" }
  | { kind: "chain"; cvmRole: boolean };

export interface AssumeRoleSpec {
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
  /** The CAM policy as JSON text (URL-encoded only on the wire). */
  policy?: string;
  externalId?: string;
  source: "config" | "env" | "profile";
}

/** The base credentials, then at most one AssumeRole made with them. */
export interface CredentialPlan {
  base: CredentialSpec;
  assumeRole?: AssumeRoleSpec;
}

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
  const pick = (key: keyof typeof CONFIG_KEYS & keyof typeof ENV_KEYS) => {
    const c = nonEmpty(config(CONFIG_KEYS[key]));
    if (c !== undefined) return { value: c, name: `config ${CONFIG_KEYS[key]}` };
    const e = nonEmpty(env[ENV_KEYS[key]]);
    return e !== undefined ? { value: e, name: `env ${ENV_KEYS[key]}` } : undefined;
  };
  const rawProtocol = pick("protocol");
  const protocol = rawProtocol ? parseProtocol(rawProtocol.value, rawProtocol.name) : "https";
  const rawDomain = pick("domain");
  const domain = rawDomain ? parseDomain(rawDomain.value, rawDomain.name) : DEFAULT_DOMAIN;

  // The CVM override: env first, so that a harness can always redirect a stack.
  const envEndpoint = nonEmpty(env[ENV_KEYS.cvmEndpoint]);
  const cfgEndpoint = nonEmpty(config(CONFIG_KEYS.cvmEndpoint));
  const cvmOverride = envEndpoint
    ? parseEndpoint(envEndpoint, `env ${ENV_KEYS.cvmEndpoint}`)
    : cfgEndpoint
      ? parseEndpoint(cfgEndpoint, `config ${CONFIG_KEYS.cvmEndpoint}`)
      : undefined;
  const endpoint = cvmOverride ?? parseEndpoint(`${protocol}://cvm.${domain}`, "the domain and protocol");
  const localCvm = cvmOverride?.loopback ? cvmOverride : undefined;
  const override = (key: "stsEndpoint" | "metadataEndpoint"): Endpoint | undefined => {
    const e = nonEmpty(env[ENV_KEYS[key]]);
    if (e) return parseEndpoint(e, `env ${ENV_KEYS[key]}`);
    const c = nonEmpty(config(CONFIG_KEYS[key]));
    return c ? parseEndpoint(c, `config ${CONFIG_KEYS[key]}`) : undefined;
  };
  const stsEndpoint =
    override("stsEndpoint") ??
    localCvm ??
    parseEndpoint(`${protocol}://sts.${domain}`, "the domain and protocol");
  const metadataEndpoint =
    override("metadataEndpoint") ?? localCvm ?? parseEndpoint(DEFAULT_METADATA_ENDPOINT, "default metadata");

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
    stsEndpoint,
    metadataEndpoint,
    skipCvmRole: skipFlag || endpoint.loopback,
    allowedAccountIds: parseAccountIds(config(CONFIG_KEYS.allowedAccountIds)),
    tuning: readTuning(config, env),
  };
}

function parseProtocol(raw: string, name: string): "http" | "https" {
  const v = raw.toLowerCase();
  if (v === "http" || v === "https") return v;
  throw new SettingsError(`${name} must be HTTP or HTTPS, got "${raw}".`);
}

function parseDomain(raw: string, name: string): string {
  const v = raw.toLowerCase().replace(/\.$/, "");
  if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(v)) return v;
  throw new SettingsError(
    `${name} must be a root domain such as tencentcloudapi.com or intl.tencentcloudapi.com (no scheme, no service name), got "${raw}".`,
  );
}

/** A JSON list (what `pulumi config set --path 'tencentcloud:allowedAccountIds[0]'` makes) or a comma-separated string. */
export function parseAccountIds(raw: string | undefined): string[] {
  const text = nonEmpty(raw);
  if (text === undefined) return [];
  let items: unknown[];
  if (text.startsWith("[")) {
    try {
      const parsed = JSON.parse(text);
      if (!Array.isArray(parsed)) throw new Error();
      items = parsed;
    } catch {
      throw new SettingsError(
        `config ${CONFIG_KEYS.allowedAccountIds} must be a list of account ids such as ["100012345678"], got ${text}.`,
      );
    }
  } else {
    items = text.split(",");
  }
  const ids = items.map((v) => String(v).trim()).filter((v) => v !== "");
  const bad = ids.filter((v) => !/^\d{1,20}$/.test(v));
  if (bad.length > 0) {
    throw new SettingsError(
      `config ${CONFIG_KEYS.allowedAccountIds} must hold account ids (digits only, e.g. "100012345678"), got ${bad.map((b) => JSON.stringify(b)).join(", ")}.`,
    );
  }
  return [...new Set(ids)];
}

export const CREDENTIAL_HELP =
  `Set stack config ${CONFIG_KEYS.secretId} and ${CONFIG_KEYS.secretKey} ` +
  `(pulumi config set --secret ${CONFIG_KEYS.secretKey} ...; optionally ${CONFIG_KEYS.securityToken}), ` +
  `or env ${ENV_KEYS.secretId} and ${ENV_KEYS.secretKey} ` +
  `(optionally ${ENV_KEYS.securityToken} or ${ENV_KEYS.sessionToken}), ` +
  `or a tccli profile (${CONFIG_KEYS.profile} / ${ENV_KEYS.profile}, files in ~/.tccli), ` +
  `or ${CONFIG_KEYS.camRoleName}, or a profile file ~/.tencentcloud/credentials`;

/**
 * Where credentials come from. Static when config or env provide them;
 * otherwise the SDK's chain (profile file, then the CVM role unless skipped).
 * A half-configured source (id without key or the reverse) is an error rather
 * than a silent fall-through to another source.
 */
export function resolveCredentialSpec(config: ConfigSource, env: Env, settings: Settings): CredentialSpec {
  const cRole = nonEmpty(config(CONFIG_KEYS.camRoleName));
  const eRole = nonEmpty(env[ENV_KEYS.camRoleName]);
  if (cRole || eRole) {
    return cRole
      ? { kind: "camRole", roleName: cRole, source: "config" }
      : { kind: "camRole", roleName: eRole!, source: "env" };
  }
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
  const named = nonEmpty(config(CONFIG_KEYS.profile)) ?? nonEmpty(env[ENV_KEYS.profile]);
  const profile = named ?? DEFAULT_PROFILE;
  if (!/^[\w.@-]{1,128}$/.test(profile)) {
    throw new SettingsError(
      `The tccli profile name must be letters, digits, ".", "@", "_" or "-", got ${JSON.stringify(profile)} ` +
        `(${CONFIG_KEYS.profile} / ${ENV_KEYS.profile}).`,
    );
  }
  const ownDir =
    nonEmpty(config(CONFIG_KEYS.sharedCredentialsDir)) ?? nonEmpty(env[ENV_KEYS.sharedCredentialsDir]);
  // No HOME and nothing named: there is no default profile to look for.
  if (!named && !ownDir && !homeOf(env)) return { kind: "chain", cvmRole: !settings.skipCvmRole };
  const dir = ownDir ?? "~/.tccli";
  return {
    kind: "profile",
    profile,
    file: `${expandHome(dir, env).replace(/\/+$/, "")}/${profile}.credential`,
    named: named !== undefined,
    cvmRole: !settings.skipCvmRole,
  };
}

/** `~` and `~/x` against env HOME (USERPROFILE on Windows), as the official provider expands it. */
function homeOf(env: Env): string | undefined {
  return nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE);
}

function expandHome(dir: string, env: Env): string {
  if (dir !== "~" && !dir.startsWith("~/")) return dir;
  const home = homeOf(env);
  if (!home) {
    throw new SettingsError(
      `Cannot expand "${dir}": HOME is not set. Set ${CONFIG_KEYS.sharedCredentialsDir} to an absolute path.`,
    );
  }
  return home + dir.slice(1);
}

/**
 * The AssumeRole to make with the base credentials, if any: config
 * `tencentcloud:assumeRole` (a JSON object; missing fields default to the
 * TENCENTCLOUD_ASSUME_ROLE_* env vars, as the official schema does), else those
 * env vars when both ARN and session name are set. (A profile file's
 * role-arn is read with the file, in credentials.ts.)
 */
export function resolveAssumeRole(config: ConfigSource, env: Env): AssumeRoleSpec | undefined {
  const raw = nonEmpty(config(CONFIG_KEYS.assumeRole));
  const key = CONFIG_KEYS.assumeRole;
  let fields: Record<string, unknown> = {};
  if (raw !== undefined) {
    try {
      const parsed = JSON.parse(raw);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error();
      fields = parsed as Record<string, unknown>;
    } catch {
      throw new SettingsError(
        `config ${key} must be an object such as {"roleArn": "qcs::cam::uin/100012345678:roleName/deployer", "sessionName": "pulumi"} ` +
          `(pulumi config set --path '${key}.roleArn' ...), got ${raw.length > 60 ? raw.slice(0, 57) + "..." : raw}.`,
      );
    }
    const known = ["roleArn", "sessionName", "sessionDuration", "policy", "externalId"];
    const unknown = Object.keys(fields).filter((k) => !known.includes(k));
    if (unknown.length > 0) {
      throw new SettingsError(
        `config ${key} has unknown field(s) ${unknown.join(", ")}; known: ${known.join(", ")}.`,
      );
    }
  }
  const text = (v: unknown, name: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw new SettingsError(`config ${key}.${name} must be a string.`);
    return nonEmpty(v);
  };
  const fromConfig = raw !== undefined;
  const roleArn = text(fields.roleArn, "roleArn") ?? nonEmpty(env[ENV_KEYS.assumeRoleArn]);
  const sessionName =
    text(fields.sessionName, "sessionName") ?? nonEmpty(env[ENV_KEYS.assumeRoleSessionName]);
  if (!fromConfig && !roleArn && !sessionName) return undefined;
  const where = fromConfig ? `config ${key}` : "the environment";
  if (!roleArn || !sessionName) {
    const missing = !roleArn
      ? fromConfig
        ? `${key}.roleArn (or env ${ENV_KEYS.assumeRoleArn})`
        : ENV_KEYS.assumeRoleArn
      : fromConfig
        ? `${key}.sessionName (or env ${ENV_KEYS.assumeRoleSessionName})`
        : ENV_KEYS.assumeRoleSessionName;
    throw new SettingsError(`Incomplete assume-role settings in ${where}: set ${missing}.`);
  }
  if (!/^qcs::cam::uin\/\d+:role(Name)?\/[\w+=,.@-]+$/.test(roleArn)) {
    throw new SettingsError(
      `The role ARN in ${where} must look like qcs::cam::uin/100012345678:roleName/deployer, got ${JSON.stringify(roleArn)}.`,
    );
  }
  if (!/^[\w+=,.@-]{2,128}$/.test(sessionName)) {
    throw new SettingsError(
      `The session name in ${where} must be 2-128 letters, digits or +=,.@-_ characters, got ${JSON.stringify(sessionName)}.`,
    );
  }
  const rawDuration = fields.sessionDuration ?? nonEmpty(env[ENV_KEYS.assumeRoleSessionDuration]);
  let durationSeconds = DEFAULT_SESSION_DURATION_S;
  if (rawDuration !== undefined) {
    const n = Number(rawDuration);
    if (!Number.isInteger(n) || n < 0 || n > MAX_SESSION_DURATION_S) {
      throw new SettingsError(
        `The session duration in ${fields.sessionDuration !== undefined ? `config ${key}.sessionDuration` : `env ${ENV_KEYS.assumeRoleSessionDuration}`} ` +
          `must be whole seconds between 0 and ${MAX_SESSION_DURATION_S} (0 = ${DEFAULT_SESSION_DURATION_S}), got ${JSON.stringify(rawDuration)}.`,
      );
    }
    if (n > 0) durationSeconds = n;
  }
  let policy: string | undefined;
  if (fields.policy !== undefined && fields.policy !== null && fields.policy !== "") {
    policy = typeof fields.policy === "string" ? fields.policy : JSON.stringify(fields.policy);
    try {
      JSON.parse(policy);
    } catch {
      throw new SettingsError(`config ${key}.policy must be a CAM policy in JSON.`);
    }
  }
  const externalId = text(fields.externalId, "externalId") ?? nonEmpty(env[ENV_KEYS.assumeRoleExternalId]);
  return {
    roleArn,
    sessionName,
    durationSeconds,
    ...(policy ? { policy } : {}),
    ...(externalId ? { externalId } : {}),
    source: fromConfig ? "config" : "env",
  };
}

/** The whole credential chain, as far as it can be known without reading files or the network. */
export function resolveCredentialPlan(config: ConfigSource, env: Env, settings: Settings): CredentialPlan {
  const base = resolveCredentialSpec(config, env, settings);
  const assumeRole = resolveAssumeRole(config, env);
  return assumeRole ? { base, assumeRole } : { base };
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
