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
