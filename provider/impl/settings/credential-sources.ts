// Where the credentials come from, as far as it can be known without reading
// files or the network (the official provider's order; docs/credentials.md):
// - `tencentcloud:camRoleName`/TENCENTCLOUD_CAM_ROLE_NAME (a named CVM role)
//   replaces everything below;
// - else stack config `tencentcloud:secretId`/`secretKey`/`securityToken`;
// - else env TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY/(TENCENTCLOUD_SECURITY_TOKEN
//   or TENCENTCLOUD_SESSION_TOKEN);
// - else the tccli profile `<sharedCredentialsDir>/<profile>.credential`
//   (default ~/.tccli/default.credential), else the SDK's ~/.tencentcloud/credentials,
//   else the unnamed CVM role unless skipped;
// - then at most one STS AssumeRole on top (assume-role.ts).

import { AssumeRoleSpec, resolveAssumeRole } from "./assume-role";
import { CONFIG_KEYS, ConfigSource, Env, ENV_KEYS, nonEmpty, SettingsError } from "./sources";

export const DEFAULT_PROFILE = "default";

export type CredentialSpec =
  | { kind: "static"; secretId: string; secretKey: string; token?: string; source: "config" | "env" }
  /** A tccli profile file; when it is the default profile and missing, the SDK chain follows. */
  | { kind: "profile"; profile: string; file: string; named: boolean; cvmRole: boolean }
  /** A named CVM role, from the instance metadata service. */
  | { kind: "camRole"; roleName: string; source: "config" | "env" }
  | { kind: "chain"; cvmRole: boolean };

/** The base credentials, then at most one AssumeRole made with them. */
export interface CredentialPlan {
  base: CredentialSpec;
  assumeRole?: AssumeRoleSpec;
}

function credentialHelp(): string {
  return (
    `Set stack config ${CONFIG_KEYS.secretId} and ${CONFIG_KEYS.secretKey} ` +
    `(pulumi config set --secret ${CONFIG_KEYS.secretKey} ...; optionally ${CONFIG_KEYS.securityToken}), ` +
    `or env ${ENV_KEYS.secretId} and ${ENV_KEYS.secretKey} ` +
    `(optionally ${ENV_KEYS.securityToken} or ${ENV_KEYS.sessionToken}), ` +
    `or a tccli profile (${CONFIG_KEYS.profile} / ${ENV_KEYS.profile}, files in ~/.tccli), ` +
    `or ${CONFIG_KEYS.camRoleName}, or a profile file ~/.tencentcloud/credentials`
  );
}

/**
 * The base credential source. A half-configured source (id without key or the
 * reverse) is an error rather than a silent fall-through to another source.
 * `skipCvmRole`: whether the unnamed CVM-role step must not run (Settings.skipCvmRole).
 */
export function resolveCredentialSpec(
  config: ConfigSource,
  env: Env,
  settings: { skipCvmRole: boolean },
): CredentialSpec {
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

/** The whole credential chain, as far as it can be known without reading files or the network. */
export function resolveCredentialPlan(
  config: ConfigSource,
  env: Env,
  settings: { skipCvmRole: boolean },
): CredentialPlan {
  const base = resolveCredentialSpec(config, env, settings);
  const assumeRole = resolveAssumeRole(config, env);
  return assumeRole ? { base, assumeRole } : { base };
}

/** The error raised when no credential source produced anything. */
export function noCredentialsMessage(cvmRoleTried: boolean): string {
  return (
    `No Tencent Cloud credentials found. ${credentialHelp()}` +
    (cvmRoleTried
      ? ", or run on a CVM instance with a CAM role bound."
      : `. (The CVM-role step was skipped: the endpoint is local or ${CONFIG_KEYS.skipCvmRole} / ` +
        `${ENV_KEYS.skipCvmRole}=true is set.)`)
  );
}
