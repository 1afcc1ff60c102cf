import type { InstanceView } from "../../provider/impl/api";
import { ApiError } from "../../provider/impl/errors";
import { newResourceId } from "../../provider/impl/flows/create";
import { describeFailures } from "../../provider/impl/messages";
import {
  normaliseOutputs,
  observe,
  partialOutputs,
  planCreate,
  planUpdate,
  readOutcome,
  readTargets,
} from "../../provider/impl/plan";
import type { OpResult } from "../../provider/impl/scheduler";
import type { AttachmentOutputs } from "../../provider/types";

const SG = "sg-abcd1234";

function v(id: string, sgs: string[]): InstanceView {
  return {
    instanceId: id,
    state: "RUNNING",
    securityGroupIds: sgs,
    latestOperation: "",
    latestOperationState: "SUCCESS",
    latestOperationRequestId: "",
    latestOperationErrorMsg: "",
  };
}

const full = ["sg-00000001", "sg-00000002", "sg-00000003", "sg-00000004", "sg-00000005"];

describe("planCreate", () => {
  it("sorts instances into missing / already bound / over the limit / to bind", () => {
    const views = new Map<string, InstanceView | null>([
      ["ins-aaaa1111", v("ins-aaaa1111", ["sg-other000"])],
      ["ins-bbbb2222", v("ins-bbbb2222", ["sg-other000", SG])],
      ["ins-cccc3333", v("ins-cccc3333", full)],
      ["ins-dddd4444", null],
      ["ins-eeee5555", v("ins-eeee5555", [...full.slice(0, 4), SG])],
    ]);
    const plan = planCreate(
      SG,
      ["ins-aaaa1111", "ins-bbbb2222", "ins-cccc3333", "ins-dddd4444", "ins-eeee5555", "ins-ffff6666"],
      views,
    );
    expect(plan).toEqual({
      missing: ["ins-dddd4444", "ins-ffff6666"],
      alreadyBound: ["ins-bbbb2222", "ins-eeee5555"],
      overLimit: [{ instanceId: "ins-cccc3333", securityGroupIds: full }],
      toBind: ["ins-aaaa1111"],
    });
  });
});

describe("planUpdate", () => {
  it("binds wanted instances that lack the group (added or drifted), unbinds removed ones that hold it", () => {
    const views = new Map<string, InstanceView | null>([
      ["ins-aaaa1111", v("ins-aaaa1111", [SG])], // kept, bound
      ["ins-bbbb2222", v("ins-bbbb2222", [])], // kept, drifted
      ["ins-cccc3333", v("ins-cccc3333", [])], // added
      ["ins-dddd4444", v("ins-dddd4444", [SG])], // added, already bound
      ["ins-eeee5555", v("ins-eeee5555", [SG])], // removed, bound
      ["ins-ffff6666", v("ins-ffff6666", [])], // removed, already unbound
      ["ins-gggg7777", null], // removed, gone
      ["ins-hhhh8888", v("ins-hhhh8888", full)], // added, full
      ["ins-iiii9999", null], // added, missing
    ]);
    const plan = planUpdate(
      SG,
      ["ins-aaaa1111", "ins-bbbb2222", "ins-eeee5555", "ins-ffff6666", "ins-gggg7777"],
      ["ins-aaaa1111", "ins-bbbb2222", "ins-cccc3333", "ins-dddd4444", "ins-hhhh8888", "ins-iiii9999"],
      views,
    );
    expect(plan).toEqual({
      missing: ["ins-iiii9999"],
      overLimit: [{ instanceId: "ins-hhhh8888", securityGroupIds: full }],
      toBind: ["ins-bbbb2222", "ins-cccc3333"],
      alreadyBoundAdded: ["ins-dddd4444"],
      toUnbind: ["ins-eeee5555"],
      alreadyUnbound: ["ins-ffff6666", "ins-gggg7777"],
    });
  });
});

describe("observe", () => {
  it("reports bindings and priorities (position in the instance's list)", () => {
    const views = new Map<string, InstanceView | null>([
      ["ins-aaaa1111", v("ins-aaaa1111", ["sg-other000", SG])],
      ["ins-bbbb2222", v("ins-bbbb2222", [SG])],
      ["ins-cccc3333", v("ins-cccc3333", ["sg-other000"])],
      ["ins-dddd4444", null],
    ]);
    expect(
      observe(SG, ["ins-dddd4444", "ins-bbbb2222", "ins-cccc3333", "ins-aaaa1111", "ins-aaaa1111"], views),
    ).toEqual({
      bound: ["ins-aaaa1111", "ins-bbbb2222"],
      unbound: ["ins-cccc3333"],
      missing: ["ins-dddd4444"],
      priorities: { "ins-aaaa1111": 1, "ins-bbbb2222": 0 },
    });
  });
});

describe("normaliseOutputs", () => {
  it("fills in what older outputs lack and drops junk", () => {
    expect(
      normaliseOutputs(
        {
          securityGroupId: SG,
          instanceIds: ["ins-bbbb2222", 3, "ins-aaaa1111", "ins-bbbb2222"],
          priorities: { a: 1, b: "x" },
        },
        "ap-guangzhou",
      ),
    ).toEqual({
      securityGroupId: SG,
      instanceIds: ["ins-aaaa1111", "ins-bbbb2222"],
      // Absent in older outputs: the recorded set stands for the declared one.
      declaredInstanceIds: ["ins-aaaa1111", "ins-bbbb2222"],
      region: "ap-guangzhou",
      adoptExisting: false,
      priorities: { a: 1 },
      adoptedInstanceIds: [],
    });
    expect(normaliseOutputs(undefined)).toMatchObject({
      securityGroupId: "",
      instanceIds: [],
      declaredInstanceIds: [],
      region: "",
    });
  });

  it("keeps declaredInstanceIds apart from instanceIds (sorted, deduplicated, junk dropped)", () => {
    const n = normaliseOutputs(
      {
        securityGroupId: SG,
        instanceIds: ["ins-aaaa1111"],
        declaredInstanceIds: ["ins-cccc3333", "ins-aaaa1111", null, "ins-cccc3333", "ins-bbbb2222"],
        region: "ap-guangzhou",
      },
      "ap-shanghai",
    );
    expect(n.instanceIds).toEqual(["ins-aaaa1111"]);
    expect(n.declaredInstanceIds).toEqual(["ins-aaaa1111", "ins-bbbb2222", "ins-cccc3333"]);
    // Present but empty is kept as empty (not replaced by instanceIds).
    expect(
      normaliseOutputs({ securityGroupId: SG, instanceIds: ["ins-aaaa1111"], declaredInstanceIds: [] })
        .declaredInstanceIds,
    ).toEqual([]);
    // Not a list: treated as absent.
    expect(
      normaliseOutputs({ securityGroupId: SG, instanceIds: ["ins-aaaa1111"], declaredInstanceIds: "x" })
        .declaredInstanceIds,
    ).toEqual(["ins-aaaa1111"]);
  });
});

describe("refresh (readTargets, readOutcome)", () => {
  const A = "ins-aaaa1111";
  const B = "ins-bbbb2222";
  const C = "ins-cccc3333";
  // Declared A, B, C (B adopted); an earlier refresh dropped B and C.
  const state: AttachmentOutputs = {
    securityGroupId: SG,
    instanceIds: [A],
    declaredInstanceIds: [A, B, C],
    region: "ap-guangzhou",
    adoptExisting: true,
    priorities: { [A]: 1 },
    adoptedInstanceIds: [A],
  };

  it("looks up the declared set and the recorded one", () => {
    expect(readTargets(state)).toEqual([A, B, C]);
    expect(readTargets({ ...state, instanceIds: [C, "ins-dddd4444"], declaredInstanceIds: [B] })).toEqual([
      B,
      C,
      "ins-dddd4444",
    ]);
  });

  it("lists again an instance of the declared set that is bound again, keeps the declared set", () => {
    const obs = observe(
      SG,
      readTargets(state),
      new Map([
        [A, v(A, ["sg-00000001", SG])],
        [B, v(B, [SG])],
        [C, v(C, [])],
      ]),
    );
    const r = readOutcome("the-id", state, obs);
    expect(r).toEqual({
      id: "the-id",
      props: {
        securityGroupId: SG,
        instanceIds: [A, B],
        declaredInstanceIds: [A, B, C],
        region: "ap-guangzhou",
        adoptExisting: true,
        priorities: { [A]: 1, [B]: 0 },
        // B is declared, not adopted.
        adoptedInstanceIds: [A],
      },
      // The observed set: a second refresh then reports no change.
      inputs: { securityGroupId: SG, instanceIds: [A, B], region: "ap-guangzhou", adoptExisting: true },
    });
  });

  it("drops what is not bound (from adopted too), and reports the resource gone when nothing is", () => {
    const views = new Map([
      [A, v(A, [])],
      [B, null],
      [C, v(C, [SG])],
    ]);
    const r = readOutcome("the-id", state, observe(SG, readTargets(state), views));
    expect(r.props).toMatchObject({
      instanceIds: [C],
      declaredInstanceIds: [A, B, C],
      adoptedInstanceIds: [],
    });
    expect(r.inputs?.instanceIds).toEqual([C]);
    const none = new Map([
      [A, v(A, [])],
      [B, null],
      [C, v(C, ["sg-00000001"])],
    ]);
    expect(readOutcome("the-id", state, observe(SG, readTargets(state), none))).toEqual({});
  });

  it("reads outputs of older versions (no declaredInstanceIds) as before", () => {
    const legacy = normaliseOutputs({ securityGroupId: SG, instanceIds: [A, B], region: "ap-guangzhou" });
    expect(readTargets(legacy)).toEqual([A, B]);
    const r = readOutcome(
      "the-id",
      legacy,
      observe(
        SG,
        readTargets(legacy),
        new Map([
          [A, v(A, [SG])],
          [B, v(B, [])],
        ]),
      ),
    );
    expect(r.props).toMatchObject({ instanceIds: [A], declaredInstanceIds: [A, B] });
  });
});

describe("newResourceId", () => {
  it("is <sg>@<region>/<8 hex>, unique", () => {
    const a = newResourceId(SG, "ap-guangzhou");
    expect(a).toMatch(/^sg-abcd1234@ap-guangzhou\/[0-9a-f]{8}$/);
    expect(newResourceId(SG, "ap-guangzhou")).not.toBe(a);
  });
});

describe("describeFailures", () => {
  const fail = (id: string, reason: any, code: string, message: string, requestId = "req-9"): OpResult => ({
    instanceId: id,
    ok: false,
    reason,
    error: new ApiError({ action: "AssociateSecurityGroups", code, message, requestId }),
    requestId,
  });

  it("groups failures by cause and says what to do, with code, message and RequestId", () => {
    const lines = describeFailures("associate", [
      fail(
        "ins-bbbb2222",
        "limitExceeded",
        "LimitExceeded.AssociateUSGLimitExceeded",
        "instances [ins-bbbb2222] would exceed",
      ),
      fail(
        "ins-aaaa1111",
        "limitExceeded",
        "LimitExceeded.AssociateUSGLimitExceeded",
        "instances [ins-bbbb2222] would exceed",
      ),
      fail("ins-cccc3333", "operationFailed", "ClientError.OperationFailed", "disk on fire", "req-op"),
      fail("ins-dddd4444", "instanceNotFound", "InvalidInstanceId.NotFound", "gone"),
      fail("ins-eeee5555", "timeout", "ClientError.Timeout", "gave up"),
      fail("ins-ffff6666", "rejected", "UnauthorizedOperation", "no permission"),
    ]);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/ins-aaaa1111, ins-bbbb2222/);
    expect(lines[0]).toMatch(/LimitExceeded.AssociateUSGLimitExceeded/);
    expect(lines[0]).toMatch(/RequestId: req-9/);
    expect(lines[0]).toMatch(/deleteBeforeReplace: true/);
    expect(lines[1]).toMatch(/FAILED on ins-cccc3333: disk on fire \(RequestId: req-op\)/);
    expect(lines[2]).toMatch(/instances not found: ins-dddd4444/);
    expect(lines[3]).toMatch(/deadline/);
    expect(lines[4]).toMatch(/\[UnauthorizedOperation\] no permission/);
    expect(lines[4]).toMatch(/CAM policy/);
  });
});

describe("partialOutputs: what a failed create or update records", () => {
  const olds: AttachmentOutputs = {
    securityGroupId: SG,
    instanceIds: ["ins-00000001", "ins-00000002", "ins-00000003"],
    declaredInstanceIds: ["ins-00000001", "ins-00000002", "ins-00000003", "ins-00000009"],
    region: "ap-guangzhou",
    adoptExisting: true,
    priorities: { "ins-00000001": 0, "ins-00000002": 1, "ins-00000003": 0 },
    adoptedInstanceIds: ["ins-00000002", "ins-00000003"],
    owner: "p/s/web",
  };

  it("drops what was given up (recorded, declared, adopted, priorities) and adds what was bound and stays", () => {
    const p = partialOutputs(olds, {
      gaveUp: ["ins-00000002", "ins-00000009"],
      kept: ["ins-00000005", "ins-00000004"],
      adopted: ["ins-00000004"],
    });
    expect(p).toEqual({
      ...olds,
      instanceIds: ["ins-00000001", "ins-00000003", "ins-00000004", "ins-00000005"],
      declaredInstanceIds: ["ins-00000001", "ins-00000003", "ins-00000004", "ins-00000005"],
      priorities: { "ins-00000001": 0, "ins-00000003": 0 },
      adoptedInstanceIds: ["ins-00000003", "ins-00000004"],
    });
  });

  it("a create's: only what stays, as its own", () => {
    const none = {
      ...olds,
      instanceIds: [],
      declaredInstanceIds: [],
      priorities: {},
      adoptedInstanceIds: [],
    };
    const p = partialOutputs(none, { gaveUp: [], kept: ["ins-00000007"] });
    expect(p.instanceIds).toEqual(["ins-00000007"]);
    expect(p.declaredInstanceIds).toEqual(["ins-00000007"]);
    expect(p.adoptedInstanceIds).toEqual([]);
  });
});
