import { ApiError } from "../../provider/impl/errors";
import { isolationSplit, mayConcernSomeInstances } from "../../provider/impl/isolate";
import { foreignBindingText, judgeAlreadyBound, type Offer } from "../../provider/impl/ownership";
import { planBatchError } from "../../provider/impl/scheduler";

const [I1, I2, I3, I4] = ["ins-aaaa0001", "ins-aaaa0002", "ins-aaaa0003", "ins-aaaa0004"];

describe("judgeAlreadyBound: the one rule for instances that already hold the group", () => {
  const none = new Map<string, Offer>();

  it("refuses a binding made by someone else, unless adopting", () => {
    expect(judgeAlreadyBound([I2, I1], { ours: new Set(), offers: none, adoptExisting: false })).toEqual({
      own: [],
      handOver: [],
      bindAfter: [],
      adopt: [],
      refuse: [I1, I2],
    });
    expect(judgeAlreadyBound([I1], { ours: new Set(), offers: none, adoptExisting: true }).adopt).toEqual([
      I1,
    ]);
  });

  it("keeps the resource's own bindings without adopting them", () => {
    const v = judgeAlreadyBound([I1, I2], { ours: new Set([I1]), offers: none, adoptExisting: true });
    expect(v.own).toEqual([I1]);
    expect(v.adopt).toEqual([I2]);
  });

  it("takes an instance another attachment gives up by hand-over, even when adopting", () => {
    const offers = new Map<string, Offer>([
      [I1, "handOver"],
      [I2, "bindAfter"],
    ]);
    const v = judgeAlreadyBound([I1, I2, I3], { ours: new Set(), offers, adoptExisting: true });
    expect(v).toEqual({ own: [], handOver: [I1], bindAfter: [I2], adopt: [I3], refuse: [] });
  });

  it("names the instances and the adoptExisting fix", () => {
    const t = foreignBindingText("sg-aaaa0001", [I1, I2]);
    expect(t).toContain(`${I1}, ${I2}`);
    expect(t).toContain("adoptExisting: true");
  });
});

function err(code: string, message = "denied"): ApiError {
  return new ApiError({ action: "AssociateSecurityGroups", code, message, requestId: "r-1" });
}

describe("isolating an error that names no culprit", () => {
  it("splits policy and quota errors, not errors that fail every request", () => {
    for (const c of [
      "UnauthorizedOperation",
      "AuthFailure.UnauthorizedOperation",
      "LimitExceeded.CvmsVifsPerSecGroupLimitExceeded",
      "LimitExceeded.SingleUSGQuota",
      "SomeNew.Code",
    ])
      expect(mayConcernSomeInstances(c)).toBe(true);
    for (const c of [
      "AuthFailure.SignatureFailure",
      "AuthFailure.TokenFailure",
      "InvalidSgId.Malformed",
      "MissingParameter",
      "UnsupportedRegion",
      "ClientError.NoCredentials",
    ])
      expect(mayConcernSomeInstances(c)).toBe(false);
  });

  it("bisects when no instance is named, and puts named ones first on their own", () => {
    expect(isolationSplit([I1, I2, I3], "UnauthorizedOperation", [])).toEqual([[I1, I2], [I3]]);
    expect(isolationSplit([I1, I2, I3], "UnauthorizedOperation", [I2, "ins-zzzz9999"])).toEqual([
      [I2],
      [I1, I3],
    ]);
    // Everything named: no information, plain halves.
    expect(isolationSplit([I1, I2], "UnauthorizedOperation", [I1, I2])).toEqual([[I1], [I2]]);
  });

  it("does not split a single instance or a request-wide error", () => {
    expect(isolationSplit([I1], "UnauthorizedOperation", [])).toBeNull();
    expect(isolationSplit([I1, I2], "AuthFailure.SignatureFailure", [])).toBeNull();
  });

  it("the scheduler's batch plan splits them; a lone instance gets the error as its answer", () => {
    expect(planBatchError("associate", [I1, I2, I3, I4], err("UnauthorizedOperation"))).toEqual({
      type: "bisect",
      halves: [
        [I1, I2],
        [I3, I4],
      ],
    });
    expect(
      planBatchError("associate", [I1, I2, I3], err("UnauthorizedOperation", `resource instance/${I3}`)),
    ).toEqual({ type: "bisect", halves: [[I3], [I1, I2]] });
    expect(planBatchError("associate", [I1], err("LimitExceeded.SingleUSGQuota"))).toEqual({
      type: "all",
      action: { type: "fail", reason: "rejected" },
    });
    expect(planBatchError("associate", [I1, I2], err("AuthFailure.SecretIdNotFound"))).toEqual({
      type: "all",
      action: { type: "fail", reason: "rejected" },
    });
  });
});
