// What every resource type's entry points share in one provider process:
// the stack config, settings, the API context of an operation, the
// in-process ownership registries, and the guard around each method.
//
// No @pulumi/pulumi import here: the implementation must load without it.

import { getCheckedContext } from "./context";
import { describeError, PartialStateError, registerSecret } from "./errors";
import { defaultJournalDir, openJournal } from "./journal";
import { Claims } from "./claims";
import type { OpContext } from "./flows/context";
import type { ListHolders } from "./membership/holders";
import {
  CONFIG_KEYS,
  ConfigSource,
  ENV_KEYS,
  regionHelp,
  resolveCredentialPlan,
  resolveSettings,
  Settings,
} from "./settings";
import { engineLoad } from "./scheduler";
import { counters, writeStatsLine } from "./stats";

let configSource: ConfigSource = () => undefined;

/** Takes the stack config `configure` received (any provider text of this package). */
export function setConfig(req: unknown): void {
  configSource = toConfigSource(req);
  registerKnownSecrets();
}

/** The config source in use (credential plans are resolved from it). */
export function config(): ConfigSource {
  return configSource;
}

/** Forgets the stack config (tests). */
export function resetConfig(): void {
  configSource = () => undefined;
}

/**
 * The bindings' owners among the resources this process serves, and their
 * hand-overs: one registry per provider process (one deployment). A wait
 * for a hand-over ends early when no other operation runs here.
 */
export const claims = new Claims({ othersActive: (waiting) => engineLoad.active > waiting });

function stringify(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/**
 * Accepts what the dynamic-provider host of @pulumi/pulumi >= 3.139 passes (`{config: Config}`, where `config.get(key)`
 * returns `rawConfig[key]` for namespaced keys), a plain object of namespaced
 * keys, a Map, or the config object itself.
 */
export function toConfigSource(req: any): ConfigSource {
  const cfg = req && typeof req === "object" && "config" in req ? req.config : req;
  if (!cfg || typeof cfg !== "object") return () => undefined;
  if (cfg instanceof Map) return (key) => stringify(cfg.get(key));
  if (cfg.rawConfig && typeof cfg.rawConfig === "object") {
    const raw = cfg.rawConfig as Record<string, unknown>;
    return (key) => stringify(raw[key]);
  }
  if (typeof cfg.get === "function") {
    return (key) => {
      try {
        return stringify(cfg.get(key));
      } catch {
        return undefined;
      }
    };
  }
  return (key) => stringify((cfg as Record<string, unknown>)[key]);
}

/** Scrub every secret we could possibly be given, before anything can fail. */
function registerKnownSecrets(): void {
  registerSecret(configSource(CONFIG_KEYS.secretKey));
  registerSecret(configSource(CONFIG_KEYS.securityToken));
  registerSecret(process.env[ENV_KEYS.secretKey]);
  registerSecret(process.env[ENV_KEYS.securityToken]);
  registerSecret(process.env[ENV_KEYS.sessionToken]);
}

export function currentSettings(): Settings {
  registerKnownSecrets();
  return resolveSettings(configSource, process.env);
}

export async function opContext(
  settings: Settings,
  region: string,
): Promise<OpContext & { holders: ListHolders }> {
  const plan = resolveCredentialPlan(configSource, process.env, settings);
  const ctx = await getCheckedContext(settings, plan, region);
  return {
    scheduler: ctx.scheduler,
    tuning: settings.tuning,
    journal: openJournal(defaultJournalDir(process.env), settings.endpoint.url, region),
    scope: `${settings.endpoint.url}|${region}`,
    claims,
    holders: ctx.holders,
  };
}

export function regionOf(props: { region: string }): string {
  if (!props.region)
    throw new Error(`The resource has no region recorded and no default is set. ${regionHelp()}`);
  return props.region;
}

/**
 * Runs one provider method: errors become safe messages (a partial state
 * keeps its outputs), counters count it.
 * `operation` (create/read/update/delete: the cloud is called) also counts as
 * engine load for the scheduler and writes a stats line; check and diff are
 * planning only.
 */
export async function guarded<T>(method: string, fn: () => Promise<T>, operation: boolean): Promise<T> {
  let ok = false;
  if (operation) engineLoad.enter();
  try {
    const result = await fn();
    ok = true;
    return result;
  } catch (e) {
    throw e instanceof PartialStateError ? e : new Error(describeError(e));
  } finally {
    if (operation) engineLoad.leave();
    counters.call(method, ok);
    if (operation) writeStatsLine(`${method}.${ok ? "ok" : "error"}`);
  }
}

/**
 * The dynamic-provider host adds the serialized provider (`__provider`, from
 * the inputs) to the outputs of a create or update that succeeded, not to a
 * partial state's: without it, every later operation on the resource fails.
 */
export async function withProviderText<T>(inputs: unknown, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const text = (inputs as { __provider?: unknown } | undefined)?.__provider;
    if (e instanceof PartialStateError && typeof text === "string") e.properties.__provider = text;
    throw e;
  }
}

/** The settings, or undefined when they are not valid (diff then works without them). */
export function safeSettings(): Settings | undefined {
  try {
    return currentSettings();
  } catch {
    return undefined;
  }
}
