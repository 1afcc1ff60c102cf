// Entry point of both adapters: the dynamic-provider stubs load it at call
// time (`require("<package>/implementation").implementation`, provider/stub.ts;
// `.membership`, provider/membership-stub.ts), the provider plugin imports it
// (provider/plugin/).
//
// No @pulumi/pulumi import here: the implementation must load without it.

import type { AttachmentInputs, AttachmentOutputs } from "../types";
import { resetContexts } from "./context";
import { diffAttachment, DiffResult } from "./diff";
import { clearRegisteredSecrets, redact } from "./errors";
import { resetJournalSweeps } from "./journal-sweep";
import { announceHandOvers } from "./announce";
import { createFlow } from "./flows/create";
import { deleteFlow } from "./flows/delete";
import { importFlow, parseImportId } from "./flows/import";
import { readFlow } from "./flows/read";
import { updateFlow } from "./flows/update";
import { membership } from "./membership";
import { groupManagers } from "./membership/managers";
import { clashText } from "./membership/messages";
import { normaliseOutputs } from "./plan";
import { progress } from "./progress";
import {
  claims,
  config,
  currentSettings,
  guarded,
  opContext,
  regionOf,
  resetConfig,
  safeSettings,
  setConfig,
  toConfigSource,
  withProviderText,
} from "./runtime";
import { OFFICIAL_NAMESPACE, resolveCredentialPlan, useConfigNamespace } from "./settings";
import { engineLoad } from "./scheduler";
import { resetStats, snapshot, Stats, writeStatsLine } from "./stats";
import { CheckFailure, checkInputs, isUnknown, requireValidInputs } from "./validate";

export { membership, toConfigSource };

export const implementation = {
  async configure(req: { config: Record<string, string> } | any): Promise<void> {
    setConfig(req);
    writeStatsLine("configure");
  },

  async check(_olds: any, news: any): Promise<{ inputs?: any; failures?: CheckFailure[] }> {
    return guarded(
      "check",
      async () => {
        const settings = currentSettings();
        // Malformed credential settings fail the preview (no file or network access here).
        resolveCredentialPlan(config(), process.env, settings);
        const { inputs, failures } = checkInputs(news, settings);
        // A membership of the same group and region in this deployment cannot share it.
        const { securityGroupId: sg, region, owner } = inputs;
        if (
          failures.length === 0 &&
          typeof sg === "string" &&
          typeof region === "string" &&
          typeof owner === "string" &&
          !isUnknown(sg) &&
          !isUnknown(region)
        ) {
          const scope = `${settings.endpoint.url}|${region}`;
          const clash = groupManagers.declare(scope, sg, { kind: "SecurityGroupAttachment", owner });
          if (clash.length > 0)
            failures.push({
              property: "securityGroupId",
              reason: clashText("SecurityGroupAttachment", owner, clash),
            });
        }
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
  resetConfig();
  useConfigNamespace(OFFICIAL_NAMESPACE);
  resetContexts();
  resetStats();
  engineLoad.reset();
  clearRegisteredSecrets();
  claims.clear();
  groupManagers.clear();
  resetJournalSweeps();
  progress.clear();
}
