// The SecurityGroupMembership's entry points: a plain object of
// configure/check/diff/create/read/update/delete, like the attachment's
// `implementation` (the dynamic-provider stub and a provider-plugin adapter
// dispatch to either by type). It shares the process's settings, API
// contexts (scheduler, limiters, credentials), errors and counters.

import type { MembershipInputs, MembershipOutputs } from "../../types";
import { newResourceId } from "../flows/create";
import { redact } from "../errors";
import {
  config,
  currentSettings,
  guarded,
  opContext,
  regionOf,
  safeSettings,
  setConfig,
  withProviderText,
} from "../runtime";
import { resolveCredentialPlan } from "../settings";
import { writeStatsLine } from "../stats";
import { type CheckFailure, requireValidInputs } from "../validate";
import { checkMembership } from "./check";
import { convergeFlow } from "./converge";
import { importMembership, parseMembershipImportId } from "./import";
import { deleteMembership, readMembership } from "./lifecycle";
import { diffMembership, normaliseMembership } from "./plan";

/** Create and update inputs: known, valid, and the preview's plan with them. */
function known(news: any): MembershipOutputs {
  const settings = currentSettings();
  const n = requireValidInputs({ ...news, adoptExisting: false }, settings, {
    allowEmpty: true,
    kind: "SecurityGroupMembership",
  });
  return normaliseMembership({ ...news, ...n }, settings.region);
}

export const membership = {
  async configure(req: unknown): Promise<void> {
    setConfig(req);
    writeStatsLine("configure");
  },

  async check(olds: any, news: MembershipInputs): Promise<{ inputs?: any; failures?: CheckFailure[] }> {
    return guarded(
      "check",
      async () => {
        const settings = currentSettings();
        resolveCredentialPlan(config(), process.env, settings);
        const { inputs, failures } = await checkMembership(olds, news, settings, (region) =>
          opContext(settings, region),
        );
        return {
          inputs,
          failures: failures.map((f) => ({ property: f.property, reason: redact(f.reason) })),
        };
      },
      false,
    );
  },

  async diff(_id: string, olds: MembershipOutputs, news: MembershipOutputs) {
    return guarded("diff", async () => diffMembership(olds, news, safeSettings()?.region), false);
  },

  async create(inputs: MembershipOutputs): Promise<{ id: string; outs: MembershipOutputs }> {
    return withProviderText(inputs, () =>
      guarded(
        "create",
        async () => {
          const n = known(inputs);
          const id = newResourceId(n.securityGroupId, n.region);
          const outs = await convergeFlow(await opContext(currentSettings(), n.region), n, undefined, id);
          return { id, outs };
        },
        true,
      ),
    );
  },

  async read(id: string, props: Partial<MembershipOutputs>) {
    return guarded(
      "read",
      async () => {
        const settings = currentSettings();
        // `pulumi import` reads with the id alone (a provider plugin; a dynamic resource cannot be imported).
        if (props?.securityGroupId === undefined) {
          const target = parseMembershipImportId(id);
          return importMembership(await opContext(settings, target.region), id, target, props?.owner);
        }
        const p = normaliseMembership(props, settings.region);
        return readMembership(await opContext(settings, regionOf(p)), id, p);
      },
      true,
    );
  },

  async update(
    id: string,
    olds: MembershipOutputs,
    news: MembershipOutputs,
  ): Promise<{ outs: MembershipOutputs }> {
    return withProviderText(news, () =>
      guarded(
        "update",
        async () => {
          const n = known(news);
          const o = normaliseMembership(olds, n.region);
          const outs = await convergeFlow(await opContext(currentSettings(), n.region), n, o, id);
          return { outs };
        },
        true,
      ),
    );
  },

  async delete(id: string, props: MembershipOutputs): Promise<void> {
    await guarded(
      "delete",
      async () => {
        const settings = currentSettings();
        const p = normaliseMembership(props, settings.region);
        if (!p.securityGroupId) return;
        await deleteMembership(await opContext(settings, regionOf(p)), id, p);
      },
      true,
    );
  },
};
