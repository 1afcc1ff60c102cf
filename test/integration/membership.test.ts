// SecurityGroupMembership's entry points (`membership.*`) against the
// emulator over HTTP, one process: each ownership path asserts the cloud,
// the state the provider returns, and what delete leaves.
import * as fs from "fs";
import { PartialStateError } from "../../provider/impl/errors";
import { membership } from "../../provider/impl/index";
import { defaultJournalDir, openJournal } from "../../provider/impl/journal";
import type { MembershipOutputs } from "../../provider/types";
import { bindingCalls, errorOf, lastSeq, useHarness } from "./helpers";
import { ins, makeSeed, REGION, SECRET_ID, SECRET_KEY, sg, TOKEN } from "./world";

const BASE = sg(99);
const G = sg(1);
/** ins-1 holds the group before the membership; so do ins-5 and ins-6, which it will not list. */
const seed = makeSeed({
  extra: { [ins(1)]: [BASE, G], [ins(5)]: [BASE, G], [ins(6)]: [BASE, G] },
});
const h = useHarness({ seed });

const OWNER = "proj/dev/admins";
const props = (ids: string[], extra: Record<string, unknown> = {}) => ({
  securityGroupId: G,
  instanceIds: ids,
  region: REGION,
  owner: OWNER,
  ...extra,
});

function outsideClient(): any {
  const { cvm } = require("tencentcloud-sdk-nodejs-cvm");
  return new cvm.v20170312.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY, token: TOKEN },
    region: REGION,
    profile: { httpProfile: { endpoint: h.emu.url.replace(/^http:\/\//, ""), protocol: "http://" } },
  });
}

/** What the engine does for `up`: check against the stored inputs, then create or update. */
async function up(
  state: { id: string; inputs: any; outs: MembershipOutputs } | null,
  news: Record<string, unknown>,
): Promise<{ id: string; inputs: any; outs: MembershipOutputs }> {
  const checked = await membership.check(state?.inputs ?? {}, news as any);
  if (checked.failures?.length) throw new Error(checked.failures.map((f) => f.reason).join("\n"));
  if (!state) {
    const r = await membership.create(checked.inputs);
    return { id: r.id, inputs: checked.inputs, outs: r.outs };
  }
  const r = await membership.update(state.id, state.outs, checked.inputs);
  return { id: state.id, inputs: checked.inputs, outs: r.outs };
}

const holders = async () =>
  Object.entries(await h.bindings())
    .filter(([, g]) => g.includes(G))
    .map(([i]) => i)
    .sort();

describe("SecurityGroupMembership entry points", () => {
  it("records own and pre-existing members; dropping a pre-existing one is a foreign removal, an own one is not", async () => {
    const s1 = await up(null, props([ins(1), ins(2)], { maxForeignRemovals: 2 }));
    expect(s1.inputs.bindingsToRemove).toEqual([ins(5), ins(6)]);
    expect(s1.outs).toMatchObject({ boundInstanceIds: [ins(2)], preexistingInstanceIds: [ins(1)] });
    expect(await holders()).toEqual([ins(1), ins(2)]);

    // ins-2 (its own) leaves: no foreign removal, no guard needed.
    const own = await membership.check(s1.inputs, props([ins(1), ins(3)]) as any);
    expect(own.failures).toEqual([]);
    expect(own.inputs.bindingsToRemove).toEqual([]);
    // ins-1 (pre-existing) leaves: named, and refused under the guard.
    const pre = await membership.check(s1.inputs, props([ins(3)]) as any);
    expect((pre.failures ?? []).map((f) => f.property)).toEqual(["maxForeignRemovals"]);
    expect(pre.failures?.[0].reason).toContain(ins(1));

    const s2 = await up(s1, props([ins(3)], { maxForeignRemovals: 1 }));
    expect(await holders()).toEqual([ins(3)]);
    expect(s2.outs).toMatchObject({ boundInstanceIds: [ins(3)], preexistingInstanceIds: [] });
    await membership.delete(s2.id, s2.outs);
    expect(await holders()).toEqual([]);
  });

  it("refuses a holder bound after the preview, changing nothing", async () => {
    const checked = await membership.check({}, props([ins(1)], { maxForeignRemovals: 5 }) as any);
    expect(checked.inputs.bindingsToRemove).toEqual([ins(5), ins(6)]);
    await outsideClient().AssociateSecurityGroups({ SecurityGroupIds: [G], InstanceIds: [ins(7)] });
    await h.emu.control.waitIdle();
    const seq = await lastSeq(h.emu);
    const msg = await errorOf(() => membership.create(checked.inputs));
    expect(msg).toContain(`${ins(7)} after the preview`);
    expect(await bindingCalls(h.emu, seq)).toEqual([]);
    expect(await holders()).toEqual([ins(1), ins(5), ins(6), ins(7)]);
  });

  it("a failed bind undoes what the call bound; the foreign removals it was allowed stay done", async () => {
    await h.emu.control.addFault({
      kind: "error",
      action: "AssociateSecurityGroups",
      code: "LimitExceeded.SingleUSGQuota",
      instanceIds: [ins(4)],
    });
    const msg = await errorOf(() => up(null, props([ins(1), ins(3), ins(4)], { maxForeignRemovals: 2 })));
    expect(msg).toContain(ins(4));
    expect(msg).toMatch(/unbound again/);
    // ins-3 bound and unbound again; ins-1 (pre-existing) kept; ins-5 and ins-6 removed as planned.
    expect(await holders()).toEqual([ins(1)]);
  });

  it("a failed create whose undo fails records the binds that stay (partial state); destroy elsewhere removes exactly them", async () => {
    await h.emu.control.addFault({
      kind: "error",
      action: "AssociateSecurityGroups",
      code: "LimitExceeded.SingleUSGQuota",
      instanceIds: [ins(4)],
    });
    await h.emu.control.addFault({
      kind: "error",
      action: "DisassociateSecurityGroups",
      code: "AuthFailure.TokenFailure",
      instanceIds: [ins(3)],
    });
    const checked = await membership.check({}, props([ins(1), ins(3), ins(4), ins(5), ins(6)]) as any);
    const error: any = await membership
      .create({ ...checked.inputs, __provider: "exports.handler = () => provider;" })
      .catch((e) => e);
    await h.emu.control.clearFaults();
    await h.emu.control.waitIdle();
    expect(error).toBeInstanceOf(PartialStateError);
    expect(error.message).toContain(ins(3));
    expect(error.properties).toMatchObject({
      boundInstanceIds: [ins(3)],
      preexistingInstanceIds: [ins(1), ins(5), ins(6)],
      __provider: "exports.handler = () => provider;",
    });
    expect(await holders()).toEqual([ins(1), ins(3), ins(5), ins(6)]);
    // Another machine: no journal. The state alone makes ins-3 this resource's own.
    fs.rmSync(defaultJournalDir(), { recursive: true, force: true });
    await membership.delete(error.id, error.properties);
    expect(await holders()).toEqual([ins(1), ins(5), ins(6)]);
  });

  it("a failed update records what it unbound as given up: destroy leaves a binding made there since", async () => {
    const s = await up(null, props([ins(1), ins(2), ins(5), ins(6)]));
    expect(s.outs.boundInstanceIds).toEqual([ins(2)]);
    await h.emu.control.addFault({
      kind: "error",
      action: "AssociateSecurityGroups",
      code: "LimitExceeded.SingleUSGQuota",
      instanceIds: [ins(4)],
    });
    const error: any = await up(s, props([ins(1), ins(4), ins(5), ins(6)])).catch((e) => e);
    await h.emu.control.clearFaults();
    expect(error).toBeInstanceOf(PartialStateError);
    // ins-2 was unbound (no longer a member): the state no longer calls it its own.
    expect(error.properties.boundInstanceIds).toEqual([]);
    expect(await holders()).toEqual([ins(1), ins(5), ins(6)]);
    // Someone else binds ins-2 since; the membership's destroy must leave it.
    await outsideClient().AssociateSecurityGroups({ SecurityGroupIds: [G], InstanceIds: [ins(2)] });
    await h.emu.control.waitIdle();
    await membership.delete(s.id, error.properties);
    expect(await holders()).toEqual([ins(1), ins(2), ins(5), ins(6)]);
  });

  it("an import (read with the id alone) takes every holder as a pre-existing member and changes nothing", async () => {
    const seq = await lastSeq(h.emu);
    const before = await holders();
    const got: any = await membership.read(`${G}@${REGION}`, { owner: OWNER } as any);
    expect(got.props.instanceIds).toEqual(before);
    expect(got.props.preexistingInstanceIds).toEqual(before);
    expect(got.props.boundInstanceIds).toEqual([]);
    expect(got.inputs).toEqual(got.props);
    const msg = await errorOf(() => membership.read(`${G}@${REGION}:${ins(1)}`, { owner: OWNER } as any));
    expect(msg).toMatch(/<securityGroupId>@<region>/);
    expect(await bindingCalls(h.emu, seq)).toEqual([]);
    expect(await holders()).toEqual(before);
  });

  it("destroy leaves what held the group before; removeAllOnDestroy unbinds every member", async () => {
    const kept = await up(null, props([ins(1), ins(2), ins(5), ins(6)]));
    expect(kept.outs.preexistingInstanceIds).toEqual([ins(1), ins(5), ins(6)]);
    await membership.delete(kept.id, kept.outs);
    expect(await holders()).toEqual([ins(1), ins(5), ins(6)]);

    await h.reset();
    const all = await up(null, props([ins(1), ins(2)], { maxForeignRemovals: 2, removeAllOnDestroy: true }));
    await membership.delete(all.id, all.outs);
    expect(await holders()).toEqual([]);
  });

  it("refresh reports holders it did not make; the next check names them", async () => {
    const s = await up(null, props([ins(1)], { maxForeignRemovals: 2 }));
    await outsideClient().AssociateSecurityGroups({ SecurityGroupIds: [G], InstanceIds: [ins(8)] });
    await h.emu.control.waitIdle();
    const read = await membership.read(s.id, s.outs);
    expect(read.props.foreignInstanceIds).toEqual([ins(8)]);
    expect(read.props.boundInstanceIds).toEqual([]);
    const next = await membership.check(read.inputs, props([ins(1)], { maxForeignRemovals: 2 }) as any);
    expect(next.inputs.bindingsToRemove).toEqual([ins(8)]);
    await expect(membership.diff(s.id, read.props, next.inputs)).resolves.toMatchObject({ changes: true });
  });

  it("binds a killed run of its own left (journal) are its own: recorded as bound, unbound by destroy", async () => {
    // A run of this owner bound ins-3, returned, and the CLI was killed before it wrote the state.
    const journal = openJournal(defaultJournalDir(), h.emu.url, REGION);
    journal.complete(journal.begin(OWNER, G, [ins(3)]));
    await outsideClient().AssociateSecurityGroups({ SecurityGroupIds: [G], InstanceIds: [ins(3)] });
    await h.emu.control.waitIdle();

    const s = await up(null, props([ins(1), ins(3)], { maxForeignRemovals: 2 }));
    expect(s.inputs.boundInstanceIds).toEqual([ins(3)]);
    expect(s.outs).toMatchObject({ boundInstanceIds: [ins(3)], preexistingInstanceIds: [ins(1)] });
    await membership.delete(s.id, s.outs);
    expect(await holders()).toEqual([ins(1)]);
  });
});
