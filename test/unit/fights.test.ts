// Fight detection's pure core: counting removals of this resource's bindings,
// which of them are fights, and what a refresh keeps when all were removed.
import type { InstanceView } from "../../provider/impl/api";
import { countRemovals, fightWarnings, removalsOf, removedOutsideField } from "../../provider/impl/fights";
import { observe, readOutcome } from "../../provider/impl/plan";
import type { AttachmentOutputs } from "../../provider/types";

const SG = "sg-abcd1234";
const A = "ins-aaaaaaaa";
const B = "ins-bbbbbbbb";
const C = "ins-cccccccc";

function v(
  id: string,
  sgs: string[],
  latestOperation = "AssociateSecurityGroups",
  requestId = "r-1",
): InstanceView {
  return {
    instanceId: id,
    state: "RUNNING",
    securityGroupIds: sgs,
    latestOperation,
    latestOperationState: "SUCCESS",
    latestOperationRequestId: requestId,
    latestOperationErrorMsg: "",
  };
}

describe("countRemovals", () => {
  it("counts each recorded binding found removed on an existing instance, not those in place or deleted", () => {
    const views = new Map([
      [A, v(A, ["sg-other001"], "ModifyInstancesAttribute", "req-a")],
      [B, v(B, ["sg-other001", SG])],
      [C, null],
    ]);
    const r = countRemovals(SG, {}, [A, B, C], [A, B, C], views);
    expect(r.removedOutside).toEqual({ [A]: 1 });
    expect(r.seen).toEqual([
      { instanceId: A, count: 1, operation: "ModifyInstancesAttribute", requestId: "req-a" },
    ]);
    expect(r.byOperation).toBe(true);
  });

  it("adds to the count in the outputs, keeps counts of instances still declared, drops the others", () => {
    const views = new Map([
      [A, v(A, [], "DisassociateSecurityGroups")],
      [B, v(B, [SG])],
    ]);
    const r = countRemovals(SG, { [A]: 1, [B]: 3, [C]: 2 }, [A, B], [A, B], views);
    expect(r.removedOutside).toEqual({ [A]: 2, [B]: 3 });
    expect(r.seen.map((s) => [s.instanceId, s.count])).toEqual([[A, 2]]);
  });

  it("a binding gone with no group operation on the instance (a deleted group) is counted, not taken as removed by an operation", () => {
    const r = countRemovals(SG, {}, [A], [A], new Map([[A, v(A, ["sg-other001"])]]));
    expect(r.removedOutside).toEqual({ [A]: 1 });
    expect(r.byOperation).toBe(false);
  });
});

describe("fightWarnings", () => {
  it("none for a first removal; from the second on, one line naming the resource, instance, operation, count and fix", () => {
    const first = countRemovals(SG, {}, [A], [A], new Map([[A, v(A, [], "ModifyInstancesAttribute")]]));
    expect(fightWarnings("proj/dev/app", SG, first.seen)).toEqual([]);
    const second = countRemovals(
      SG,
      first.removedOutside,
      [A],
      [A],
      new Map([[A, v(A, [], "ModifyInstancesAttribute", "req-9")]]),
    );
    const [line, ...rest] = fightWarnings("proj/dev/app", SG, second.seen);
    expect(rest).toEqual([]);
    expect(line).toContain(
      "proj/dev/app: another manager of ins-aaaaaaaa's security groups is undoing this resource",
    );
    expect(line).toContain("removed 2 times");
    expect(line).toContain("ModifyInstancesAttribute (request req-9)");
    expect(line).toMatch(/orderly_security_groups.*or remove ins-aaaaaaaa from this resource/);
  });
});

describe("the output field", () => {
  it("is absent while empty; bad values from old or hand-edited state are dropped", () => {
    expect(removedOutsideField({})).toEqual({});
    expect(removedOutsideField({ [A]: 2 })).toEqual({ removedOutside: { [A]: 2 } });
    expect(removalsOf(undefined)).toEqual({});
    expect(removalsOf([1])).toEqual({});
    expect(removalsOf({ [A]: 2, [B]: "3", [C]: 0 })).toEqual({ [A]: 2 });
  });
});

describe("readOutcome with removals", () => {
  const state: AttachmentOutputs = {
    securityGroupId: SG,
    instanceIds: [A],
    declaredInstanceIds: [A],
    region: "ap-guangzhou",
    adoptExisting: false,
    priorities: { [A]: 0 },
    adoptedInstanceIds: [],
  };

  it("keeps the resource, listing nothing, when an operation removed its only binding", () => {
    const views = new Map([[A, v(A, [], "ModifyInstancesAttribute")]]);
    const removed = countRemovals(SG, {}, [A], [A], views);
    const r = readOutcome("id-1", state, observe(SG, [A], views), removed);
    expect(r.props).toMatchObject({ instanceIds: [], declaredInstanceIds: [A], removedOutside: { [A]: 1 } });
    expect(r.inputs).toMatchObject({ instanceIds: [] });
    expect(r.inputs).not.toHaveProperty("removedOutside");
  });

  it("a second refresh of a resource kept empty keeps it as it is", () => {
    const views = new Map([[A, v(A, [], "ModifyInstancesAttribute")]]);
    const first = readOutcome("id-1", state, observe(SG, [A], views), countRemovals(SG, {}, [A], [A], views));
    const kept = first.props!;
    const again = countRemovals(
      SG,
      removalsOf(kept.removedOutside),
      kept.instanceIds,
      kept.declaredInstanceIds,
      views,
    );
    expect(again.seen).toEqual([]);
    expect(readOutcome("id-1", kept, observe(SG, [A], views), again)).toEqual(first);
  });

  it("reports the resource gone when nothing is bound and no operation removed it", () => {
    const views = new Map([[A, v(A, [])]]);
    const removed = countRemovals(SG, {}, [A], [A], views);
    expect(readOutcome("id-1", state, observe(SG, [A], views), removed)).toEqual({});
  });
});
