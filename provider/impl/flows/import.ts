// The import flow (`pulumi import`): the engine reads with the id alone,
// `<securityGroupId>@<region>:<instanceId>,...`. Every named instance must
// hold the group; the bindings then become the resource's own (its delete
// unbinds them), and the inputs returned make the next `up` of the program
// the CLI prints a no-op.

import { ProviderError } from "../errors";
import { badImportId, importRefused } from "../messages";
import { observe, outputsOf, type ReadResult } from "../plan";
import { checkInputs } from "../validate";
import { deadlineOf, type OpContext } from "./context";

interface ImportTarget {
  securityGroupId: string;
  region: string;
  instanceIds: string[];
}

/** The group, region and instances an import id names; throws naming every problem. */
export function parseImportId(id: string): ImportTarget {
  const m = /^([^@]*)@([^:]*):(.*)$/.exec(id.trim());
  if (!m) throw new ProviderError(badImportId(id, ["it has no @<region>: part."]));
  const [, securityGroupId, region, rest] = m;
  const instanceIds = rest
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const { inputs, failures } = checkInputs({ securityGroupId, instanceIds, region }, {});
  if (failures.length > 0)
    throw new ProviderError(
      badImportId(
        id,
        failures.map((f) => f.reason),
      ),
    );
  return { securityGroupId, region, instanceIds: inputs.instanceIds as string[] };
}

export async function importFlow(
  ctx: OpContext,
  id: string,
  t: ImportTarget,
  owner: string | undefined,
): Promise<ReadResult> {
  const sg = t.securityGroupId;
  const views = await ctx.scheduler.lookup(t.instanceIds, deadlineOf(ctx));
  const obs = observe(sg, t.instanceIds, views);
  if (obs.unbound.length > 0 || obs.missing.length > 0) {
    throw new ProviderError(importRefused(sg, t.region, obs.unbound, obs.missing));
  }
  // From now on the state holds them: intents of an interrupted create of this resource are done with.
  ctx.journal?.settle(owner, sg, t.instanceIds);
  const inputs = { securityGroupId: sg, instanceIds: t.instanceIds, region: t.region, adoptExisting: false };
  // Taken over as they are, like adoptExisting does.
  return { id, props: outputsOf({ ...inputs, owner }, owner, obs.priorities, obs.bound), inputs };
}
