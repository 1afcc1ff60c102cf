// The one STS AssumeRole made on top of the base credentials: config
// `tencentcloud:assumeRole` (a JSON object; missing fields default to the
// TENCENTCLOUD_ASSUME_ROLE_* env vars, as the official schema does), else those
// env vars when both ARN and session name are set. A profile file's role-arn is
// read with the file, in credentials.ts.

import { CONFIG_KEYS, ConfigSource, Env, ENV_KEYS, nonEmpty, SettingsError } from "./sources";

export const DEFAULT_SESSION_DURATION_S = 7200;
export const MAX_SESSION_DURATION_S = 43200;

export interface AssumeRoleSpec {
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
  /** The CAM policy as JSON text (URL-encoded only on the wire). */
  policy?: string;
  externalId?: string;
  source: "config" | "env" | "profile";
}

const KNOWN_FIELDS = ["roleArn", "sessionName", "sessionDuration", "policy", "externalId"];

/** The fields of config `tencentcloud:assumeRole` ({} when unset). */
function configFields(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  const key = CONFIG_KEYS.assumeRole;
  let fields: Record<string, unknown>;
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
  const unknown = Object.keys(fields).filter((k) => !KNOWN_FIELDS.includes(k));
  if (unknown.length > 0) {
    throw new SettingsError(
      `config ${key} has unknown field(s) ${unknown.join(", ")}; known: ${KNOWN_FIELDS.join(", ")}.`,
    );
  }
  return fields;
}

/** The AssumeRole to make with the base credentials, if any. */
export function resolveAssumeRole(config: ConfigSource, env: Env): AssumeRoleSpec | undefined {
  const raw = nonEmpty(config(CONFIG_KEYS.assumeRole));
  const key = CONFIG_KEYS.assumeRole;
  const fields = configFields(raw);
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
