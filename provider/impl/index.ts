// Entry point loaded by the provider stub (provider/stub.ts) at call time:
// `require("<package>/implementation").implementation`.
//
// No @pulumi/pulumi import here: the implementation must load without it.

import type { AttachmentInputs, AttachmentOutputs } from "../types";
import { getCheckedContext, resetContexts } from "./context";
import { diffAttachment, DiffResult } from "./diff";
import { clearRegisteredSecrets, describeError, PartialStateError, redact, registerSecret } from "./errors";
import { defaultJournalDir, openJournal } from "./journal";
import { resetJournalSweeps } from "./journal-sweep";
import { announceHandOvers } from "./announce";
import { Claims } from "./claims";
import type { OpContext } from "./flows/context";
import { createFlow } from "./flows/create";
import { deleteFlow } from "./flows/delete";
import { importFlow, parseImportId } from "./flows/import";
import { readFlow } from "./flows/read";
import { updateFlow } from "./flows/update";
import { normaliseOutputs } from "./plan";
import { progress } from "./progress";
import {
  CONFIG_KEYS,
  ConfigSource,
  ENV_KEYS,
  OFFICIAL_NAMESPACE,
  regionHelp,
  resolveCredentialPlan,
  resolveSettings,
  Settings,
  useConfigNamespace,
} from "./settings";
import { engineLoad } from "./scheduler";
import { counters, resetStats, snapshot, Stats, writeStatsLine } from "./stats";
import { CheckFailure, checkInputs, requireValidInputs } from "./validate";

let configSource: ConfigSource = () => undefined;

/**
 * The bindings' owners among the resources this process serves, and their
 * hand-overs: one registry per provider process (one deployment). A wait
 * for a hand-over ends early when no other operation runs here.
 */
const claims = new Claims({ othersActive: (waiting) => engineLoad.active > waiting });

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

function currentSettings(): Settings {
  registerKnownSecrets();
  return resolveSettings(configSource, process.env);
}

async function opContext(settings: Settings, region: string): Promise<OpContext> {
  const plan = resolveCredentialPlan(configSource, process.env, settings);
  const ctx = await getCheckedContext(settings, plan, region);
  return {
    scheduler: ctx.scheduler,
    tuning: settings.tuning,
    journal: openJournal(defaultJournalDir(process.env), settings.endpoint.url, region),
    scope: `${settings.endpoint.url}|${region}`,
    claims,
  };
}

function regionOf(props: AttachmentOutputs): string {
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
async function guarded<T>(method: string, fn: () => Promise<T>, operation: boolean): Promise<T> {
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
async function withProviderText<T>(inputs: unknown, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const text = (inputs as { __provider?: unknown } | undefined)?.__provider;
    if (e instanceof PartialStateError && typeof text === "string") e.properties.__provider = text;
    throw e;
  }
}

/** The settings, or undefined when they are not valid (diff then works without them). */
function safeSettings(): Settings | undefined {
  try {
    return currentSettings();
  } catch {
    return undefined;
  }
}

export const implementation = {
  async configure(req: { config: Record<string, string> } | any): Promise<void> {
    configSource = toConfigSource(req);
    registerKnownSecrets();
    writeStatsLine("configure");
  },

  async check(_olds: any, news: any): Promise<{ inputs?: any; failures?: CheckFailure[] }> {
    return guarded(
      "check",
      async () => {
        const settings = currentSettings();
        // Malformed credential settings fail the preview (no file or network access here).
        resolveCredentialPlan(configSource, process.env, settings);
        const { inputs, failures } = checkInputs(news, settings);
        return {
          inputs,
          failures: failures.map((f) => ({ property: f.property, reason: redact(f.reason) })),
        };
      },
      false,
    );
  },

  async diff(id: string, olds: AttachmentOutputs, news: AttachmentInputs): Promise<DiffResult> {
    return guarded(
      "diff",
      async () => {
        const settings = safeSettings();
        const result = diffAttachment(olds, news, settings?.region);
        // The engine diffs every resource before updating it: announce who
        // gives up and who takes which binding, for the hand-overs.
        if (settings && result.changes && !result.replaces?.length) {
          announceHandOvers(claims, settings.endpoint.url, id, olds, news, settings.region);
        }
        return result;
      },
      false,
    );
  },

  async create(inputs: AttachmentInputs): Promise<{ id: string; outs: AttachmentOutputs }> {
    return withProviderText(inputs, () =>
      guarded(
        "create",
        async () => {
          const settings = currentSettings();
          const n = requireValidInputs(inputs, settings);
          const { id, outs } = await createFlow(await opContext(settings, n.region), n);
          return { id, outs };
        },
        true,
      ),
    );
  },

  async read(
    id: string,
    props: Partial<AttachmentOutputs>,
  ): Promise<{ id?: string; props?: AttachmentOutputs; inputs?: Record<string, unknown> }> {
    return guarded(
      "read",
      async () => {
        const settings = currentSettings();
        // `pulumi import` reads with the id alone (a provider plugin; a dynamic resource cannot be imported).
        if (props?.securityGroupId === undefined) {
          const target = parseImportId(id);
          return importFlow(await opContext(settings, target.region), id, target, props?.owner);
        }
        const p = normaliseOutputs(props, settings.region);
        return readFlow(await opContext(settings, regionOf(p)), id, p);
      },
      true,
    );
  },

  async update(
    id: string,
    olds: AttachmentOutputs,
    news: AttachmentInputs,
  ): Promise<{ outs: AttachmentOutputs }> {
    return withProviderText(news, () =>
      guarded(
        "update",
        async () => {
          const settings = currentSettings();
          const n = requireValidInputs(news, settings);
          const o = normaliseOutputs(olds, n.region);
          const { outs } = await updateFlow(await opContext(settings, n.region), o, n, id);
          return { outs };
        },
        true,
      ),
    );
  },

  async delete(id: string, props: AttachmentOutputs): Promise<void> {
    await guarded(
      "delete",
      async () => {
        const settings = currentSettings();
        const p = normaliseOutputs(props, settings.region);
        if (!p.securityGroupId || p.instanceIds.length === 0) return;
        await deleteFlow(await opContext(settings, regionOf(p)), p, id);
      },
      true,
    );
  },
};

/** This process's counters (requests per action, throttled, busy, retries...); the benchmark reads the same figures from the SGATTACH_STATS_FILE lines. */
export function stats(): Stats {
  return snapshot();
}

/**
 * Forgets all module state: configuration, contexts (limiters, account
 * checks), counters, secrets, claims, the journal's swept folders and
 * progress timers. For tests.
 */
export function resetForTests(): void {
  configSource = () => undefined;
  useConfigNamespace(OFFICIAL_NAMESPACE);
  resetContexts();
  resetStats();
  engineLoad.reset();
  clearRegisteredSecrets();
  claims.clear();
  resetJournalSweeps();
  progress.clear();
}
