import type * as pulumi from "@pulumi/pulumi";

/**
 * The provider object that Pulumi serializes into the stack state.
 *
 * Pulumi stores the text of the dynamic provider with every resource and runs
 * the stored text for `read` (refresh) and `delete` (destroy). If that text
 * held the real implementation, a fix in a new version of this package would
 * never reach existing stacks. So the stored text is only this stub: it
 * captures nothing but the module id below, and at call time loads the
 * implementation from the package installed next to the Pulumi program.
 *
 * Keep this file tiny and stable: any change to it changes the stored text
 * (harmless, but noisy in `stack export`), and it must never capture values
 * (credentials especially) because captured values are written to the state.
 */
//
// Every byte of the text below is stored twice per resource (in its inputs
// and outputs), and the file backend rewrites the whole checkpoint after each
// step: the first, commented version of this stub (3.3 KB of text) was 6.5 KB
// of each resource's 8.4 KB in the checkpoint. Hence the one-letter names and
// no comment inside a function body (serializeFunction copies bodies
// verbatim, comments included).
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

export const providerStub: pulumi.dynamic.ResourceProvider = {
  configure: (r) => L().configure(r),
  check: (o, n) => L().check(o, n),
  diff: (i, o, n) => L().diff(i, o, n),
  create: (n) => L().create(n),
  read: (i, p) => L().read(i, p),
  update: (i, o, n) => L().update(i, o, n),
  delete: (i, p) => L().delete(i, p),
};
