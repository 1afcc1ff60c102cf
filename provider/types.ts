// Plain data shapes shared by the resource (program side) and the provider
// implementation (provider-process side). Kept free of @pulumi/pulumi imports
// so that the implementation can load them without the SDK.

/** Inputs after Pulumi resolved every `Input<>`: what `check` receives in `news`. */
export interface AttachmentInputs {
  /** The security group, `sg-` + 8 lowercase letters or digits. */
  securityGroupId: string;
  /** Instances to bind, `ins-` + 8 lowercase letters or digits; a set (order and duplicates do not matter). */
  instanceIds: string[];
  /** Tencent Cloud region, e.g. `ap-guangzhou`. Resolved from config/env when omitted. */
  region?: string;
  /** Take over bindings that already exist instead of failing on them. */
  adoptExisting?: boolean;
  /**
   * Who makes the bindings: `<project>/<stack>/<resource name>`, set by the
   * resource class (a dynamic provider's create gets no URN). It keys the
   * crash-recovery journal; no diff looks at it.
   */
  owner?: string;
}

/**
 * What the provider stores as the resource's outputs. The engine hands these
 * (not the old inputs) to the next `diff`/`update`, so they carry everything a
 * diff needs: the normalised inputs plus what we learnt from the cloud.
 */
export interface AttachmentOutputs {
  securityGroupId: string;
  /** Sorted, deduplicated. After a refresh: the instances of `declaredInstanceIds` observed bound. */
  instanceIds: string[];
  /**
   * The program's `instanceIds` at the last successful create or update,
   * sorted and deduplicated; kept by refresh. Refresh looks these up again, so
   * an instance it dropped (unbound outside Pulumi) and that is bound again
   * outside Pulumi is found and listed in `instanceIds` again. Outputs of
   * older versions lack it: it is then taken to be `instanceIds`.
   */
  declaredInstanceIds: string[];
  region: string;
  adoptExisting: boolean;
  /** Position (0 = highest priority) of this security group in each instance's list, as last seen. */
  priorities: Record<string, number>;
  /** Instances that already held the group when this resource adopted them (adoptExisting). */
  adoptedInstanceIds: string[];
  /** See AttachmentInputs.owner; absent from outputs of older versions (until their next update). */
  owner?: string;
  /**
   * Instance id -> how many times a binding this resource made was found
   * removed outside Pulumi (provider/impl/fights.ts); absent while none was.
   * From the second removal of one binding on, refresh and up warn of a fight.
   */
  removedOutside?: Record<string, number>;
}

/** A membership's inputs as the program gives them (after Pulumi resolved every `Input<>`). */
export interface MembershipInputs {
  securityGroupId: string;
  /** Exactly the instances that must hold the group in the region; a set. May be empty (nobody holds it). */
  instanceIds: string[];
  region?: string;
  /** How many bindings it did not make the membership may remove in one `up` (default 0: refuse, naming them). */
  maxForeignRemovals?: number;
  /** Destroy unbinds every member, also those that held the group before the membership (default false). */
  removeAllOnDestroy?: boolean;
  /** `<project>/<stack>/<name>`, set by the resource class. */
  owner?: string;
}

/**
 * A membership's state: stored as its outputs and, with the values `check`
 * planned from a look-up, as its inputs, so that preview shows what changes.
 */
export interface MembershipOutputs {
  securityGroupId: string;
  region: string;
  /** The program's list, sorted. */
  instanceIds: string[];
  maxForeignRemovals: number;
  removeAllOnDestroy: boolean;
  owner?: string;
  /** Members this resource bound itself: unbound on destroy. */
  boundInstanceIds: string[];
  /** Members that already held the group when it declared them: left on destroy (unless removeAllOnDestroy). */
  preexistingInstanceIds: string[];
  /** Planned by check: members to bind. Empty once an `up` converged. */
  bindingsToAdd: string[];
  /** Planned by check: holders it did not make that the next `up` unbinds. Empty once an `up` converged. */
  bindingsToRemove: string[];
  /** Holders of the group it did not make, as last seen (refresh shows them as drift). */
  foreignInstanceIds: string[];
  /**
   * Counts the plans: each check plans revision + 1 of the stored one, and
   * create/update store the revision they carried out. A plan of the stored
   * revision is done (a refresh diffs the stored plan against its outputs).
   */
  revision: number;
  /** Removals seen of bindings it made (fights.ts); absent when none. */
  removedOutside?: Record<string, number>;
}
