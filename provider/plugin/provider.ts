// The provider object that `@pulumi/pulumi/provider`'s `main` serves: each
// call goes to the row of its type token (./resources.ts), with the URN as
// the owner of the bindings (two resources of one name under different
// parents are different owners; the dynamic resource can only pass
// `<project>/<stack>/<name>`).

import schema from "./schema.json";
import { RESOURCES, type ResourceImplementation } from "./resources";

/** `urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>` → `<type>`. */
export function typeOf(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

function rowOf(urn: string): ResourceImplementation {
  const row = RESOURCES[typeOf(urn)];
  if (!row) throw new Error(`${schema.name} has no resource type ${JSON.stringify(typeOf(urn))} (${urn}).`);
  return row;
}

/** The outputs or inputs with `owner` taken from the URN. */
function owned(props: unknown, urn: string): Record<string, unknown> {
  return { ...(props && typeof props === "object" ? props : {}), owner: urn };
}

export const provider = {
  version: schema.version,
  schema: JSON.stringify(schema),
  // check too: the one-manager rule and the membership's journal need the owner at preview.
  check: (urn: string, olds: any, news: any) => rowOf(urn).check(olds, owned(news, urn)),
  diff: (id: string, urn: string, olds: any, news: any) => rowOf(urn).diff(id, olds, news),
  create: (urn: string, inputs: any) => rowOf(urn).create(owned(inputs, urn)),
  read: (id: string, urn: string, props: any) => rowOf(urn).read(id, owned(props, urn)),
  update: (id: string, urn: string, olds: any, news: any) =>
    rowOf(urn).update(id, owned(olds, urn), owned(news, urn)),
  delete: (id: string, urn: string, props: any) => rowOf(urn).delete(id, owned(props, urn)),
};
