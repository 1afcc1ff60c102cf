/**
 * The provider object that Pulumi serializes into the stack state.
 *
 * Pulumi stores the text of the dynamic provider with every resource and runs
 * the stored text for `read` (refresh) and `delete` (destroy). So that a fix in
 * a new version of this package reaches existing stacks, the stored text only
 * leads here, and the methods below load the implementation at call time from
 * the package installed next to the Pulumi program.
 *
 * This module's exports ARE the provider object: Pulumi's serializer stores a
 * module loaded from node_modules as `require("<its public path>")` instead of
 * its code, here `pulumi-tencentcloud-sg-attachment/provider` (a public export
 * that must never move). Where the package is not under node_modules (this
 * repository's own demo, a symlinked `file:` dependency), the serializer copies
 * these functions by value instead, so they must stay self-contained: they
 * capture only `M` and `L`, and never a value such as a credential, which would
 * be written to the state. The copy is stored twice per resource, hence the
 * one-letter names and no comments inside function bodies (sizes: docs/design.md,
 * "Architecture").
 */
import type * as pulumi from "@pulumi/pulumi";

type P = pulumi.dynamic.ResourceProvider;

const M = "pulumi-tencentcloud-sg-attachment/implementation";

// Loads the implementation. The dynamic-provider host starts in the Pulumi
// program's directory: resolve from there first. That finds the user's
// node_modules, and also the package itself (Node's self-reference) when the
// program lives in this repository. Only "not found" falls through.
function L(): any {
  try {
    return require("module").createRequire(require("path").join(process.cwd(), "_.js"))(M).implementation;
  } catch (e: any) {
    if (!e || e.code !== "MODULE_NOT_FOUND") throw e;
  }
  return require(M).implementation;
}

// Typed without P["configure"]: @pulumi/pulumi before 3.139.0 (below the peer floor) has no such member.
export const configure = (r: unknown): Promise<void> => L().configure(r);
export const check: NonNullable<P["check"]> = (o, n) => L().check(o, n);
export const diff: NonNullable<P["diff"]> = (i, o, n) => L().diff(i, o, n);
export const create: P["create"] = (n) => L().create(n);
export const read: NonNullable<P["read"]> = (i, p) => L().read(i, p);
export const update: NonNullable<P["update"]> = (i, o, n) => L().update(i, o, n);
const d: NonNullable<P["delete"]> = (i, p) => L().delete(i, p);
export { d as delete };
