// The endpoints of CVM, STS and the instance metadata service.
//
// CVM: env TENCENTCLOUD_CVM_ENDPOINT, else config `tencentcloud-sg-attachment:cvmEndpoint`,
// else <protocol>://cvm.<domain>. Env comes first so that a harness can always
// redirect a stack to a local emulator. STS and the metadata service have
// overrides of their own; without one they follow a loopback CVM endpoint, so
// local runs never leave the machine.

import { CONFIG_KEYS, ConfigSource, Env, ENV_KEYS, fromConfig, fromEnv, SettingsError } from "./sources";

export const DEFAULT_ENDPOINT = "https://cvm.tencentcloudapi.com";
export const DEFAULT_DOMAIN = "tencentcloudapi.com";
export const DEFAULT_METADATA_ENDPOINT = "http://metadata.tencentyun.com";

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

export interface Endpoints {
  /** The CVM API. */
  endpoint: Endpoint;
  /** STS (AssumeRole, GetCallerIdentity). */
  stsEndpoint: Endpoint;
  /** The CVM instance metadata service (the camRoleName step). */
  metadataEndpoint: Endpoint;
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

/** An endpoint override, env first. */
function override(
  config: ConfigSource,
  env: Env,
  key: "cvmEndpoint" | "stsEndpoint" | "metadataEndpoint",
): Endpoint | undefined {
  const found = fromEnv(env, ENV_KEYS[key]) ?? fromConfig(config, CONFIG_KEYS[key]);
  return found && parseEndpoint(found.value, found.name);
}

export function resolveEndpoints(config: ConfigSource, env: Env): Endpoints {
  const rawProtocol = fromConfig(config, CONFIG_KEYS.protocol) ?? fromEnv(env, ENV_KEYS.protocol);
  const protocol = rawProtocol ? parseProtocol(rawProtocol.value, rawProtocol.name) : "https";
  const rawDomain = fromConfig(config, CONFIG_KEYS.domain) ?? fromEnv(env, ENV_KEYS.domain);
  const domain = rawDomain ? parseDomain(rawDomain.value, rawDomain.name) : DEFAULT_DOMAIN;

  const cvmOverride = override(config, env, "cvmEndpoint");
  const endpoint = cvmOverride ?? parseEndpoint(`${protocol}://cvm.${domain}`, "the domain and protocol");
  const localCvm = cvmOverride?.loopback ? cvmOverride : undefined;
  const stsEndpoint =
    override(config, env, "stsEndpoint") ??
    localCvm ??
    parseEndpoint(`${protocol}://sts.${domain}`, "the domain and protocol");
  const metadataEndpoint =
    override(config, env, "metadataEndpoint") ??
    localCvm ??
    parseEndpoint(DEFAULT_METADATA_ENDPOINT, "default metadata");
  return { endpoint, stsEndpoint, metadataEndpoint };
}
