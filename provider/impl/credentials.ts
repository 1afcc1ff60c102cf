// Builds the credential provider for a CredentialPlan (settings/): the base
// source (static keys, a tccli profile file, a named CVM role, or the SDK
// chain), then at most one STS AssumeRole made with it. Temporary credentials
// (CVM role, AssumeRole) renew themselves before they expire (renewal.ts); an
// assumed role is renewed with fresh base credentials each time.

import * as fs from "fs";
import { BasicCredentialSpec, credentialProvider, CredentialProvider, remember } from "./api";
import { fetchCamRoleCredentials } from "./metadata";
import { ExpiringCredentials, RenewingCredentials } from "./renewal";
import {
  AssumeRoleSpec,
  CONFIG_KEYS,
  CredentialPlan,
  CredentialSpec,
  ENV_KEYS,
  Endpoint,
  Settings,
  SettingsError,
} from "./settings";
import { SdkSts, StsApi } from "./sts";

/** The SDK signs STS requests with a region; STS itself is global. */
const DEFAULT_STS_REGION = "ap-guangzhou";

export interface CredentialDeps {
  basic(spec: BasicCredentialSpec): CredentialProvider;
  camRole(endpoint: Endpoint, roleName: string, timeoutMs: number): Promise<ExpiringCredentials>;
  sts(settings: Settings): StsApi;
  /** File text, or undefined when the file does not exist. */
  readFile(path: string): string | undefined;
}

export function stsFor(settings: Settings): StsApi {
  return new SdkSts({
    endpoint: settings.stsEndpoint,
    region: settings.region ?? DEFAULT_STS_REGION,
    requestTimeoutMs: settings.tuning.requestTimeoutMs,
  });
}

const defaultCredentialDeps: CredentialDeps = {
  basic: (spec) => credentialProvider(spec),
  camRole: fetchCamRoleCredentials,
  sts: stsFor,
  readFile: (p) => {
    try {
      return fs.readFileSync(p, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new SettingsError(`Cannot read the tccli profile file ${p}: ${(e as Error).message}.`);
    }
  },
};

interface TccliProfile {
  provider: CredentialProvider;
  assumeRole?: AssumeRoleSpec;
}

/** `<dir>/<profile>.credential` as `tccli configure` writes it (JSON). */
function readTccliProfile(
  spec: Extract<CredentialSpec, { kind: "profile" }>,
  deps: CredentialDeps,
): TccliProfile | undefined {
  const text = deps.readFile(spec.file);
  if (text === undefined) {
    if (!spec.named) return undefined;
    throw new SettingsError(
      `The tccli profile "${spec.profile}" (${CONFIG_KEYS.profile} / ${ENV_KEYS.profile}) has no file ${spec.file}. ` +
        `Run tccli configure --profile ${spec.profile}, or set ${CONFIG_KEYS.sharedCredentialsDir} to the folder that holds it.`,
    );
  }
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text);
  } catch {
    throw new SettingsError(`The tccli profile file ${spec.file} is not valid JSON.`);
  }
  const str = (k: string) =>
    typeof j[k] === "string" && (j[k] as string).trim() !== "" ? (j[k] as string).trim() : undefined;
  const secretId = str("secretId");
  const secretKey = str("secretKey");
  const token = str("token");
  if (!secretId || !secretKey) {
    throw new SettingsError(`The tccli profile file ${spec.file} has no secretId and secretKey.`);
  }
  const creds = remember({ secretId, secretKey, ...(token ? { token } : {}) });
  const roleArn = str("role-arn");
  const sessionName = str("role-session-name");
  return {
    provider: { identity: secretId, get: async () => creds },
    ...(roleArn && sessionName
      ? { assumeRole: { roleArn, sessionName, durationSeconds: 7200, source: "profile" as const } }
      : {}),
  };
}

export function buildCredentialProvider(
  plan: CredentialPlan,
  settings: Settings,
  deps: CredentialDeps = defaultCredentialDeps,
): CredentialProvider {
  const spec = plan.base;
  let base: CredentialProvider;
  let profileRole: AssumeRoleSpec | undefined;
  switch (spec.kind) {
    case "static":
    case "chain":
      base = deps.basic(spec);
      break;
    case "camRole":
      base = new RenewingCredentials(`cam-role:${spec.roleName}`, () =>
        deps.camRole(settings.metadataEndpoint, spec.roleName, settings.tuning.requestTimeoutMs),
      );
      break;
    case "profile": {
      const profile = readTccliProfile(spec, deps);
      base = profile?.provider ?? deps.basic({ kind: "chain", cvmRole: spec.cvmRole });
      profileRole = profile?.assumeRole;
      break;
    }
  }
  const role = plan.assumeRole ?? profileRole;
  if (!role) return base;
  const sts = deps.sts(settings);
  const signer = base;
  return new RenewingCredentials(`assume-role:${role.roleArn}`, async () =>
    sts.assumeRole(await signer.get(), role),
  );
}
