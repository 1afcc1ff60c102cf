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
const IMPLEMENTATION_MODULE = "pulumi-tencentcloud-sg-attachment/implementation";

function loadImplementation(): any {
  // The dynamic-provider host starts in the Pulumi program's directory.
  // Resolve from there first: that finds the user's node_modules, and also the
  // package itself (Node's self-reference) when the program lives in this repo.
  const path = require("path");
  const { createRequire } = require("module");
  const fromProgram = createRequire(path.join(process.cwd(), "__pulumi_program__.js"));
  try {
    return fromProgram(IMPLEMENTATION_MODULE).implementation;
  } catch (e: any) {
    if (!e || e.code !== "MODULE_NOT_FOUND") throw e;
  }
  return require(IMPLEMENTATION_MODULE).implementation;
}

export const providerStub: pulumi.dynamic.ResourceProvider = {
  configure: (req) => loadImplementation().configure(req),
  check: (olds, news) => loadImplementation().check(olds, news),
  diff: (id, olds, news) => loadImplementation().diff(id, olds, news),
  create: (inputs) => loadImplementation().create(inputs),
  read: (id, props) => loadImplementation().read(id, props),
  update: (id, olds, news) => loadImplementation().update(id, olds, news),
  delete: (id, props) => loadImplementation().delete(id, props),
};
