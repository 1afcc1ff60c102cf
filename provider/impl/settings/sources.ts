// Where settings are read from: the stack config and the environment, by their
// key names. Nothing here performs I/O; both sources are passed in, so that the
// rules can be unit-tested exhaustively.

/** Reads one stack-config value by its full, namespaced key (`tencentcloud:region`, see CONFIG_KEYS). */
export type ConfigSource = (key: string) => string | undefined;
export type Env = Record<string, string | undefined>;

/** The namespace of this package's own keys (endpoints, tuning), and of every key of its provider plugin. */
export const PROVIDER_NAMESPACE = "tencentcloud-sg-attachment";
/** The official provider's namespace: where the dynamic resource reads the official key names. */
export const OFFICIAL_NAMESPACE = "tencentcloud";

/** The full key names when the official provider's names are read in `ns`. */
function configKeysIn(ns: string) {
  return {
    secretId: `${ns}:secretId`,
    secretKey: `${ns}:secretKey`,
    securityToken: `${ns}:securityToken`,
    region: `${ns}:region`,
    profile: `${ns}:profile`,
    sharedCredentialsDir: `${ns}:sharedCredentialsDir`,
    assumeRole: `${ns}:assumeRole`,
    camRoleName: `${ns}:camRoleName`,
    domain: `${ns}:domain`,
    protocol: `${ns}:protocol`,
    allowedAccountIds: `${ns}:allowedAccountIds`,
    cvmEndpoint: `${PROVIDER_NAMESPACE}:cvmEndpoint`,
    stsEndpoint: `${PROVIDER_NAMESPACE}:stsEndpoint`,
    metadataEndpoint: `${PROVIDER_NAMESPACE}:metadataEndpoint`,
    skipCvmRole: `${PROVIDER_NAMESPACE}:skipCvmRole`,
  };
}

/**
 * The config keys this process reads, by their full names (also in messages).
 * The dynamic resource shares the official provider's `tencentcloud:*` keys;
 * the provider plugin reads them all in its own namespace (useConfigNamespace).
 */
export const CONFIG_KEYS: Readonly<ReturnType<typeof configKeysIn>> = configKeysIn(OFFICIAL_NAMESPACE);

/** Reads the official key names in `ns` from now on: one namespace per process (the dynamic-provider host or the plugin). */
export function useConfigNamespace(ns: string): void {
  Object.assign(CONFIG_KEYS, configKeysIn(ns));
}

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

/** A value that was set, and how error messages name where it came from. */
export interface FoundSetting {
  value: string;
  source: "config" | "env";
  /** `config tencentcloud:region` or `env TENCENTCLOUD_REGION`. */
  name: string;
}

/** The trimmed value, or undefined when unset or blank. */
export function nonEmpty(v: string | undefined | null): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  return s === "" ? undefined : s;
}

export function fromConfig(config: ConfigSource, key: string): FoundSetting | undefined {
  const value = nonEmpty(config(key));
  return value === undefined ? undefined : { value, source: "config", name: `config ${key}` };
}

export function fromEnv(env: Env, key: string): FoundSetting | undefined {
  const value = nonEmpty(env[key]);
  return value === undefined ? undefined : { value, source: "env", name: `env ${key}` };
}

export function parseBool(raw: string, name: string): boolean {
  const v = raw.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off", ""].includes(v)) return false;
  throw new SettingsError(`${name} must be true or false, got "${raw}".`);
}
