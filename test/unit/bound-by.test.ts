// The request-id rule: whose request made a binding.
import type { InstanceView } from "../../provider/impl/api";
import { madeByOurRequest, mayHaveBound } from "../../provider/impl/bound-by";
import type { OpResult } from "../../provider/impl/scheduler";
import { ApiError } from "../../provider/impl/errors";

const SG = "sg-aaaa0001";

function view(over: Partial<InstanceView> = {}): InstanceView {
  return {
    instanceId: "ins-00000001",
    state: "RUNNING",
    securityGroupIds: ["sg-other001", SG],
    latestOperation: "AssociateSecurityGroups",
    latestOperationState: "SUCCESS",
    latestOperationRequestId: "req-ours",
    latestOperationErrorMsg: "",
    ...over,
  };
}
const before = view({ securityGroupIds: ["sg-other001"], latestOperationRequestId: "req-old" });

describe("madeByOurRequest", () => {
  it("ours when the instance's latest request is the one the API returned to us", () => {
    expect(madeByOurRequest(SG, { requestId: "req-ours" }, before, view())).toBe(true);
    // Still in flight: ours too (it may yet apply).
    const operating = view({ securityGroupIds: ["sg-other001"], latestOperationState: "OPERATING" });
    expect(madeByOurRequest(SG, { requestId: "req-ours" }, before, operating)).toBe(true);
  });

  it("not ours when another request made it (another stack won the race), or nothing holds it", () => {
    expect(
      madeByOurRequest(SG, { requestId: "req-ours" }, before, view({ latestOperationRequestId: "req-b" })),
    ).toBe(false);
    expect(madeByOurRequest(SG, { requestId: "" }, before, view({ latestOperationRequestId: "req-b" }))).toBe(
      false,
    );
    expect(madeByOurRequest(SG, { requestId: "req-ours" }, before, before)).toBe(false);
    expect(madeByOurRequest(SG, { requestId: "req-ours" }, before, null)).toBe(false);
    expect(madeByOurRequest(SG, undefined, before, view())).toBe(false);
  });

  it("a request without a reply: ours when a new Associate is the latest operation since our look-up", () => {
    const lost = { requestId: "", unanswered: true };
    expect(madeByOurRequest(SG, lost, before, view({ latestOperationRequestId: "req-unknown" }))).toBe(true);
    // The latest operation is the one we saw before binding: not made by the lost request.
    expect(madeByOurRequest(SG, lost, before, view({ latestOperationRequestId: "req-old" }))).toBe(false);
    // The latest operation is an unbind: not a bind of ours.
    const unbind = view({ latestOperation: "DisassociateSecurityGroups", latestOperationRequestId: "req-x" });
    expect(madeByOurRequest(SG, lost, before, unbind)).toBe(false);
  });
});

describe("mayHaveBound", () => {
  const err = new ApiError({
    action: "AssociateSecurityGroups",
    code: "AuthFailure.TokenFailure",
    message: "x",
  });
  const failed = (requestId: string, unanswered?: boolean): OpResult => ({
    instanceId: "ins-00000001",
    ok: false,
    reason: "rejected",
    error: err,
    requestId,
    unanswered,
  });
  it("an accepted request (a fatal poll error keeps its RequestId) or one without a reply may have bound", () => {
    expect(mayHaveBound(failed("req-1"))).toBe(true);
    expect(mayHaveBound(failed("", true))).toBe(true);
    expect(mayHaveBound(failed(""))).toBe(false);
  });
});
