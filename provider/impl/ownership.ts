// The one ownership rule for an instance that already holds the group when a
// create or an update wants to bind it. A binding belongs to the resource that
// bound it or adopted it (adoptExisting); nobody else may take it, except by a
// hand-over from the attachment of this deployment that gives it up.

/** How another attachment of this deployment gives the instance up (see claims.ts). */
export type Offer = "handOver" | "bindAfter";

export interface BoundRule {
  /** Bindings already this resource's own (an interrupted create of ours; declared by it before). */
  ours: ReadonlySet<string>;
  /** Bindings another attachment of this deployment gives up, and how. */
  offers: ReadonlyMap<string, Offer>;
  adoptExisting: boolean;
}

export interface BoundVerdict {
  /** This resource's own already: kept, not adopted. */
  own: string[];
  /** Handed over at the rendezvous with the attachment giving them up. */
  handOver: string[];
  /** Unbound by the attachment giving them up: bound again after that. */
  bindAfter: string[];
  /** Taken over with adoptExisting: recorded in adoptedInstanceIds. */
  adopt: string[];
  /** Bound by someone else: the create or update is refused. */
  refuse: string[];
}

/** Sorts instances that already hold the group by the ownership rule. Pure. */
export function judgeAlreadyBound(found: readonly string[], rule: BoundRule): BoundVerdict {
  const v: BoundVerdict = { own: [], handOver: [], bindAfter: [], adopt: [], refuse: [] };
  for (const id of [...new Set(found)].sort()) {
    const offer = rule.offers.get(id);
    if (rule.ours.has(id)) v.own.push(id);
    // A hand-over comes before adoption: adopting a binding that another
    // attachment is about to unbind would lose it.
    else if (offer) v[offer].push(id);
    else if (rule.adoptExisting) v.adopt.push(id);
    else v.refuse.push(id);
  }
  return v;
}

/** The refusal both create and update give, naming the instances and the fix. */
export function foreignBindingText(sg: string, ids: readonly string[]): string {
  return (
    `instances already bound to ${sg}: ${ids.join(", ")}. ` +
    `Set adoptExisting: true on this resource to take these bindings over ` +
    `(they are then unbound when the resource is deleted), or remove the instances from instanceIds ` +
    `(with the provider plugin, pulumi import also takes them over; a dynamic resource cannot be imported). ` +
    `To move them here from another attachment of ${sg}, remove them there in the same pulumi up ` +
    `(handed over when neither of the two depends on the other), or in an earlier one.`
  );
}
