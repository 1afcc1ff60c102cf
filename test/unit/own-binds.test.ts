// OwnBinds: which instances a failed create or update may undo (candidates),
// and which bindings are its own (the request-id rule, or handed over).
import type { InstanceView } from "../../provider/impl/api";
import { view } from "./instance-view";
import { ApiError } from "../../provider/impl/errors";
import { OwnBinds } from "../../provider/impl/flows/undo";
import type { OpResult } from "../../provider/impl/scheduler";

const SG = "sg-aaaa0001";

const ok = (id: string, requestId: string): OpResult => ({
  instanceId: id,
  ok: true,
  note: "applied",
  instance: view(id, [SG], requestId),
  requestId,
});
const refused = (id: string, extra: Partial<OpResult> = {}): OpResult =>
  ({
    instanceId: id,
    ok: false,
    reason: "rejected",
    error: new ApiError({ action: "AssociateSecurityGroups", code: "InternalError", message: "x" }),
    requestId: "",
    ...extra,
  }) as OpResult;

const before = new Map<string, InstanceView | null>([
  ["ins-1", view("ins-1", [], "r-old")],
  ["ins-2", view("ins-2", [], "r-old")],
  ["ins-3", view("ins-3", [], "r-old")],
]);

it("names as candidates what a request was accepted for or got no reply for", () => {
  const binds = new OwnBinds(
    SG,
    [ok("ins-1", "r-1"), refused("ins-2"), refused("ins-3", { unanswered: true })],
    before,
  );
  expect(binds.candidates).toEqual(["ins-1", "ins-3"]);
});

it("counts a binding as its own only by its request id, or once handed over", () => {
  const binds = new OwnBinds(SG, [ok("ins-1", "r-1"), refused("ins-3", { unanswered: true })], before);
  expect(binds.ours("ins-1", view("ins-1", [SG], "r-1"))).toBe(true);
  expect(binds.ours("ins-1", view("ins-1", [SG], "r-someone-else"))).toBe(false);
  // No reply: ours when a new Associate is the latest operation.
  expect(binds.ours("ins-3", view("ins-3", [SG], "r-new"))).toBe(true);
  expect(binds.ours("ins-3", view("ins-3", [SG], "r-old"))).toBe(false);
  // Handed over: its own while it holds the group, whoever bound it.
  expect(binds.ours("ins-4", view("ins-4", [SG], "r-other"))).toBe(false);
  binds.handOver(["ins-4"]);
  expect(binds.candidates).toEqual(["ins-1", "ins-3", "ins-4"]);
  expect(binds.ours("ins-4", view("ins-4", [SG], "r-other"))).toBe(true);
  expect(binds.ours("ins-4", view("ins-4", [], "r-other"))).toBe(false);
});

it("adds later binds (behind a withdrawn releaser) to the candidates and the request-id rule", () => {
  const binds = new OwnBinds(SG, [ok("ins-1", "r-1")], before);
  binds.addResults([ok("ins-5", "r-5"), refused("ins-6")]);
  expect(binds.candidates).toEqual(["ins-1", "ins-5"]);
  expect(binds.ours("ins-5", view("ins-5", [SG], "r-5"))).toBe(true);
});
