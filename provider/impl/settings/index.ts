// The provider's settings, resolved purely from the stack config and the
// environment (both passed in). One file per concern: sources.ts (config and
// env keys), endpoints.ts, tuning.ts, credential-sources.ts, assume-role.ts.
// Region: the resource's input, else config `<namespace>:region`, else env TENCENTCLOUD_REGION.

import { Endpoints, resolveEndpoints } from "./endpoints";
import {
  CONFIG_KEYS,
  ConfigSource,
  Env,
  ENV_KEYS,
  fromConfig,
  fromEnv,
  nonEmpty,
  parseBool,
  SettingsError,
} from "./sources";
import { readTuning, Tuning } from "./tuning";

export {
  CONFIG_KEYS,
  ENV_KEYS,
  OFFICIAL_NAMESPACE,
  PROVIDER_NAMESPACE,
  SettingsError,
  useConfigNamespace,
  type ConfigSource,
  type Env,
} from "./sources";
export {
  DEFAULT_DOMAIN,
  DEFAULT_ENDPOINT,
  DEFAULT_METADATA_ENDPOINT,
  isLoopbackHost,
  parseEndpoint,
  type Endpoint,
} from "./endpoints";
export { DEFAULT_TUNING, tuningConfigKey, tuningEnvName, type Tuning } from "./tuning";
export {
  DEFAULT_PROFILE,
  noCredentialsMessage,
  resolveCredentialPlan,
  resolveCredentialSpec,
  type CredentialPlan,
  type CredentialSpec,
} from "./credential-sources";
export {
  DEFAULT_SESSION_DURATION_S,
  MAX_SESSION_DURATION_S,
  resolveAssumeRole,
  type AssumeRoleSpec,
} from "./assume-role";

export interface Settings extends Endpoints {
  /** Default region (config or env); the resource's own input wins over it. */
  region?: string;
  regionSource?: "config" | "env";
  /** True when the unnamed CVM-role credential step must not run. */
  skipCvmRole: boolean;
  /** `tencentcloud:allowedAccountIds`; empty = no account guard. */
  allowedAccountIds: string[];
  tuning: Tuning;
}

/**
 * Resolves everything but the credentials (which are only needed for API
 * calls, see resolveCredentialSpec). Throws SettingsError on malformed values;
 * never includes a secret in a message.
 */
export function resolveSettings(config: ConfigSource, env: Env): Settings {
  const endpoints = resolveEndpoints(config, env);
  // Either source set to true skips the step; a malformed value in either is an error.
  const cfgSkip = fromConfig(config, CONFIG_KEYS.skipCvmRole);
  const envSkip = fromEnv(env, ENV_KEYS.skipCvmRole);
  const skipFlag =
    (cfgSkip !== undefined && parseBool(cfgSkip.value, cfgSkip.name)) ||
    (envSkip !== undefined && parseBool(envSkip.value, envSkip.name));
  const region = fromConfig(config, CONFIG_KEYS.region) ?? fromEnv(env, ENV_KEYS.region);

  return {
    region: region?.value,
    regionSource: region?.source,
    ...endpoints,
    skipCvmRole: skipFlag || endpoints.endpoint.loopback,
    allowedAccountIds: parseAccountIds(config(CONFIG_KEYS.allowedAccountIds)),
    tuning: readTuning(config, env),
  };
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

/** Region precedence: resource input, then config, then env. */
export function resolveRegion(
  input: string | undefined,
  settings: Pick<Settings, "region">,
): string | undefined {
  const own = nonEmpty(input);
  return own ?? settings.region;
}

/** How to set a region, naming the keys this process reads. */
export function regionHelp(): string {
  return (
    `Set the resource's region input, or stack config ${CONFIG_KEYS.region} ` +
    `(pulumi config set ${CONFIG_KEYS.region} ap-guangzhou), or env ${ENV_KEYS.region}.`
  );
}
