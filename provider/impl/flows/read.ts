// The read (refresh) flow: look up the declared and the recorded instances
// and report what holds the group (readOutcome in ../plan.ts).

import type { AttachmentOutputs } from "../../types";
import { warnings } from "../engine-log";
import { countRemovals, fightWarnings, removalsOf } from "../fights";
import { givenUp } from "../given-away";
import { observe, readOutcome, readTargets, type ReadResult } from "../plan";
import { deadlineOf, type OpContext } from "./context";

export async function readFlow(ctx: OpContext, id: string, props: AttachmentOutputs): Promise<ReadResult> {
  const sg = props.securityGroupId;
  // The declared set as well as the recorded one, in one coalesced look-up.
  const targets = readTargets(props);
  if (!sg || targets.length === 0) return {};
  const views = await ctx.scheduler.lookup(targets, deadlineOf(ctx));
  // The state holds the resource: intents it covers are done with.
  ctx.journal?.settle(props.owner, sg, props.instanceIds);
  // What it gave up in an update that failed afterwards is not listed, even if bound (by its taker).
  const given = givenUp(ctx.journal, props.owner, sg, targets, views);
  const mine = targets.filter((i) => !given.has(i));
  // Bindings it recorded as bound and finds removed: counted, and a fight reported.
  const removed = countRemovals(
    sg,
    removalsOf(props.removedOutside),
    props.instanceIds.filter((i) => !given.has(i)),
    props.declaredInstanceIds,
    views,
  );
  for (const w of fightWarnings(props.owner || "SecurityGroupAttachment", sg, removed.seen)) warnings.emit(w);
  return readOutcome(id, props, observe(sg, mine, views), removed);
}
