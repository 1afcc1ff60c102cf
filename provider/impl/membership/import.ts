// A membership's `pulumi import` (provider plugin): the engine reads with the
// id alone, `<securityGroupId>@<region>`. Every instance holding the group
// then becomes a member that held it before the resource (pre-existing):
// nothing is bound or unbound, and destroy leaves them (unless
// `removeAllOnDestroy`), as for a membership declared over existing holders.

import type { MembershipOutputs } from "../../types";
import { ProviderError } from "../errors";
import { deadlineOf } from "../flows/context";
import { checkInputs } from "../validate";
import type { MembershipContext } from "./check";
import { badMembershipImportId } from "./messages";
import { convergedOutputs } from "./plan";

/** The group and region an import id names; throws naming every problem. */
export function parseMembershipImportId(id: string): { securityGroupId: string; region: string } {
  const m = /^([^@]*)@([^@:/]*)$/.exec(id.trim());
  if (!m) throw new ProviderError(badMembershipImportId(id, ["it is not <group>@<region>."]));
  const [, securityGroupId, region] = m;
  const { failures } = checkInputs({ securityGroupId, instanceIds: [], region }, {}, { allowEmpty: true });
  if (failures.length > 0)
    throw new ProviderError(
      badMembershipImportId(
        id,
        failures.map((f) => f.reason),
      ),
    );
  return { securityGroupId, region };
}

export async function importMembership(
  ctx: MembershipContext,
  id: string,
  target: { securityGroupId: string; region: string },
  owner: string | undefined,
): Promise<{ id: string; props: MembershipOutputs; inputs: MembershipOutputs }> {
  const holders = await ctx.holders(target.securityGroupId, deadlineOf(ctx));
  const members = holders.map((v) => v.instanceId);
  const outs = convergedOutputs(
    {
      ...target,
      instanceIds: members,
      maxForeignRemovals: 0,
      removeAllOnDestroy: false,
      owner,
      revision: 0,
    },
    { own: [], preexisting: members },
  );
  return { id, props: outs, inputs: outs };
}
