/**
 * The provider object of SecurityGroupMembership, serialized into the stack
 * state like provider/stub.ts (read its comment): a `require` of this public
 * path, `pulumi-tencentcloud-sg-attachment/membership-provider`, that must
 * never move; the methods load the implementation installed now.
 */
import type * as pulumi from "@pulumi/pulumi";

type P = pulumi.dynamic.ResourceProvider;

const M = "pulumi-tencentcloud-sg-attachment/implementation";

function L(): any {
  try {
    return require("module").createRequire(require("path").join(process.cwd(), "_.js"))(M).membership;
  } catch (e: any) {
    if (!e || e.code !== "MODULE_NOT_FOUND") throw e;
  }
  return require(M).membership;
}

export const configure = (r: unknown): Promise<void> => L().configure(r);
export const check: NonNullable<P["check"]> = (o, n) => L().check(o, n);
export const diff: NonNullable<P["diff"]> = (i, o, n) => L().diff(i, o, n);
export const create: P["create"] = (n) => L().create(n);
export const read: NonNullable<P["read"]> = (i, p) => L().read(i, p);
export const update: NonNullable<P["update"]> = (i, o, n) => L().update(i, o, n);
const d: NonNullable<P["delete"]> = (i, p) => L().delete(i, p);
export { d as delete };
