// The membership's pure planning: whose each holder is, what an up binds and
// unbinds, the guard, the records after convergence, refresh, destroy, diff.
import {
  convergedOutputs,
  destroyTargets,
  diffMembership,
  foreignRefusal,
  normaliseMembership,
  partialMembership,
  planMembership,
  readOutputs,
} from "../../provider/impl/membership/plan";
import { GroupManagers } from "../../provider/impl/membership/managers";
import { UNKNOWN } from "../../provider/impl/validate";
import { view } from "./instance-view";

const SG = "sg-aaaa0001";
const OTHER = "sg-other001";
const holder = (id: string, sgs = [OTHER, SG]) => view(id, sgs, "rq-1");

describe("planMembership", () => {
  it("binds missing members, keeps own and pre-existing apart, unbinds own leavers and foreign holders", () => {
    const holders = [
      holder("ins-a"),
      holder("ins-b"),
      holder("ins-x"),
      holder("ins-f"),
      holder("ins-g", [SG]),
    ];
    const views = new Map([
      ["ins-c", view("ins-c", [OTHER], "rq-2")],
      ["ins-d", null],
      ["ins-e", view("ins-e", ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5"], "rq-3")],
    ]);
    // a: bound by it before; b: held the group when declared; x: its own, no longer a member.
    const plan = planMembership(
      SG,
      ["ins-c", "ins-b", "ins-a", "ins-d", "ins-e"],
      new Set(["ins-a", "ins-x"]),
      holders,
      views,
    );
    expect(plan.toBind).toEqual(["ins-c"]);
    expect(plan.own).toEqual(["ins-a", "ins-c"]);
    expect(plan.preexisting).toEqual(["ins-b"]);
    expect(plan.missing).toEqual(["ins-d"]);
    expect(plan.overLimit).toEqual([
      { instanceId: "ins-e", securityGroupIds: ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5"] },
    ]);
    expect(plan.unbindOwn).toEqual(["ins-x"]);
    expect(plan.foreign).toEqual(["ins-f", "ins-g"]);
    // g holds only this group: unbinding it would leave it none.
    expect(plan.lastGroup).toEqual(["ins-g"]);
  });

  it("an own member unbound outside is bound again and stays its own", () => {
    const plan = planMembership(
      SG,
      ["ins-a"],
      new Set(["ins-a"]),
      [],
      new Map([["ins-a", view("ins-a", [OTHER], "r")]]),
    );
    expect(plan.toBind).toEqual(["ins-a"]);
    expect(plan.own).toEqual(["ins-a"]);
    expect(plan.foreign).toEqual([]);
  });

  it("an empty list makes every holder foreign", () => {
    const plan = planMembership(SG, [], new Set(), [holder("ins-a")], new Map());
    expect(plan.foreign).toEqual(["ins-a"]);
    expect(plan.own).toEqual([]);
  });
});

describe("foreignRefusal", () => {
  it("refuses holders the preview did not name, and more than the guard allows", () => {
    expect(foreignRefusal(["ins-a", "ins-b"], ["ins-a"], 5)).toEqual({
      unnamed: ["ins-b"],
      overGuard: false,
    });
    expect(foreignRefusal(["ins-a", "ins-b"], ["ins-a", "ins-b"], 1)).toEqual({
      unnamed: [],
      overGuard: true,
    });
    expect(foreignRefusal(["ins-a"], ["ins-a"], 1)).toEqual({ unnamed: [], overGuard: false });
    expect(foreignRefusal([], [], 0)).toEqual({ unnamed: [], overGuard: false });
  });
});

const base = normaliseMembership({
  securityGroupId: SG,
  region: "ap-guangzhou",
  instanceIds: ["ins-b", "ins-a"],
  owner: "p/s/m",
});

describe("records", () => {
  it("after an up: own and pre-existing recorded, nothing pending", () => {
    const outs = convergedOutputs(base, { own: ["ins-b"], preexisting: ["ins-a"] });
    expect(outs).toMatchObject({
      instanceIds: ["ins-a", "ins-b"],
      boundInstanceIds: ["ins-b"],
      preexistingInstanceIds: ["ins-a"],
      bindingsToAdd: [],
      bindingsToRemove: [],
      foreignInstanceIds: [],
      maxForeignRemovals: 0,
      removeAllOnDestroy: false,
    });
  });

  it("refresh reports holders it did not make, keeps the records", () => {
    const outs = convergedOutputs(base, { own: ["ins-b"], preexisting: ["ins-a"] });
    const read = readOutputs(outs, [holder("ins-a"), holder("ins-b"), holder("ins-z")], {});
    expect(read.foreignInstanceIds).toEqual(["ins-z"]);
    expect(read.boundInstanceIds).toEqual(["ins-b"]);
    expect(read.preexistingInstanceIds).toEqual(["ins-a"]);
    expect(read.bindingsToRemove).toEqual([]);
    expect(read.removedOutside).toBeUndefined();
  });

  it("refresh drops a binding of its own found removed (counted once) and keeps the count", () => {
    const outs = convergedOutputs(base, { own: ["ins-b"], preexisting: ["ins-a"] });
    const read = readOutputs(outs, [holder("ins-a")], { "ins-b": 1 });
    expect(read.boundInstanceIds).toEqual([]);
    expect(read.removedOutside).toEqual({ "ins-b": 1 });
    // The refresh diff (its outputs against the stored plan) shows it.
    expect(diffMembership(read, outs).changes).toBe(true);
  });

  it("destroy unbinds its own, or every member with removeAllOnDestroy, only where held", () => {
    const outs = convergedOutputs(base, { own: ["ins-b"], preexisting: ["ins-a"] });
    expect(destroyTargets(outs, new Set(["ins-a", "ins-b", "ins-z"]))).toEqual(["ins-b"]);
    expect(
      destroyTargets({ ...outs, removeAllOnDestroy: true }, new Set(["ins-a", "ins-b", "ins-z"])),
    ).toEqual(["ins-a", "ins-b"]);
    expect(destroyTargets(outs, new Set(["ins-a"]))).toEqual([]);
  });
});

describe("diffMembership", () => {
  const olds = convergedOutputs(base, { own: ["ins-b"], preexisting: ["ins-a"] });
  // A new plan: check plans the revision after the stored one.
  const news = (over: Record<string, unknown>) => ({ ...olds, revision: olds.revision + 1, ...over });

  it("no change when the set is the same and nothing is pending", () => {
    expect(diffMembership(olds, news({ instanceIds: ["ins-b", "ins-a"], maxForeignRemovals: 3 }))).toEqual({
      changes: false,
    });
  });
  it("an update for planned removals or binds, a changed set or removeAllOnDestroy", () => {
    expect(diffMembership(olds, news({ bindingsToRemove: ["ins-z"] })).changes).toBe(true);
    expect(diffMembership(olds, news({ bindingsToAdd: ["ins-a"] })).changes).toBe(true);
    expect(diffMembership(olds, news({ bindingsToRemove: UNKNOWN })).changes).toBe(true);
    expect(diffMembership(olds, news({ instanceIds: ["ins-a"] })).changes).toBe(true);
    expect(diffMembership(olds, news({ removeAllOnDestroy: true })).changes).toBe(true);
  });
  it("a refresh: the stored plan (same revision) is done; foreign holders it saw are a change", () => {
    const stored = { ...olds, bindingsToAdd: ["ins-b"], bindingsToRemove: ["ins-z"] };
    expect(diffMembership(olds, stored).changes).toBe(false);
    expect(diffMembership({ ...olds, foreignInstanceIds: ["ins-y"] }, stored).changes).toBe(true);
  });
  it("a replace for another group or region", () => {
    expect(diffMembership(olds, news({ securityGroupId: "sg-bbbb0002" })).replaces).toEqual([
      "securityGroupId",
    ]);
    expect(diffMembership(olds, news({ region: "ap-shanghai" })).replaces).toEqual(["region"]);
    expect(diffMembership(olds, news({ securityGroupId: UNKNOWN })).replaces).toEqual(["securityGroupId"]);
  });
});

describe("GroupManagers", () => {
  it("a membership shares its group with nobody; attachments share theirs", () => {
    const m = new GroupManagers();
    expect(m.declare("e|r", SG, { kind: "SecurityGroupAttachment", owner: "p/s/a" })).toEqual([]);
    expect(m.declare("e|r", SG, { kind: "SecurityGroupAttachment", owner: "p/s/b" })).toEqual([]);
    expect(m.declare("e|r", SG, { kind: "SecurityGroupMembership", owner: "p/s/m" })).toEqual([
      { kind: "SecurityGroupAttachment", owner: "p/s/a" },
      { kind: "SecurityGroupAttachment", owner: "p/s/b" },
    ]);
    expect(m.declare("e|r", SG, { kind: "SecurityGroupAttachment", owner: "p/s/c" })).toHaveLength(1);
    // Another region or group: no clash; a second check of the same owner replaces its record.
    expect(m.declare("e|r2", SG, { kind: "SecurityGroupMembership", owner: "p/s/n" })).toEqual([]);
    expect(m.declare("e|r", "sg-bbbb0002", { kind: "SecurityGroupMembership", owner: "p/s/m" })).toEqual([]);
  });
});

describe("partialMembership", () => {
  it("drops what a failed call unbound and adds the binds of its own that stay", () => {
    const base = normaliseMembership({
      securityGroupId: "sg-1",
      region: "r",
      instanceIds: ["ins-1", "ins-2"],
      boundInstanceIds: ["ins-2", "ins-7"],
      preexistingInstanceIds: ["ins-1", "ins-8"],
      foreignInstanceIds: ["ins-9"],
    });
    const out = partialMembership(base, ["ins-7", "ins-8", "ins-9"], ["ins-3"]);
    expect(out).toMatchObject({
      instanceIds: ["ins-1", "ins-2"],
      boundInstanceIds: ["ins-2", "ins-3"],
      preexistingInstanceIds: ["ins-1"],
      foreignInstanceIds: [],
    });
  });
});
