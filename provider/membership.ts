import * as pulumi from "@pulumi/pulumi";
import * as providerStub from "./membership-stub";
import { ownerOf } from "./resource";
import type { MembershipOutputs } from "./types";

/** Arguments of a {@link SecurityGroupMembership}. */
export interface SecurityGroupMembershipArgs {
  /** The security group, `sg-` followed by 8 lowercase letters or digits. */
  securityGroupId: pulumi.Input<string>;
  /**
   * Exactly the CVM instances (`ins-…`) of the region that must hold the
   * group. A set; may be empty. Every other instance holding it is unbound.
   */
  instanceIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Region, e.g. `ap-guangzhou`. Default: config `tencentcloud:region`, then env `TENCENTCLOUD_REGION`. */
  region?: pulumi.Input<string>;
  /**
   * How many bindings this resource did not make (holders it does not list)
   * one `up` may remove. Default 0: preview and `up` refuse, naming each
   * instance. Raise it on purpose, after reading the preview's `bindingsToRemove`.
   */
  maxForeignRemovals?: pulumi.Input<number>;
  /**
   * On destroy, unbind every member, also those that held the group before
   * this resource declared them. Default false: destroy unbinds only what it
   * bound itself.
   */
  removeAllOnDestroy?: pulumi.Input<boolean>;
}

/**
 * The whole membership of one security group in one region, authoritative:
 * after `up`, exactly `instanceIds` hold the group. It binds the missing
 * members and unbinds every other holder, whoever bound it; preview names
 * each holder it did not bind in `bindingsToRemove`, and `maxForeignRemovals`
 * must allow their removal. A SecurityGroupAttachment or another membership
 * of the same group and region in the deployment is refused at preview.
 */
export class SecurityGroupMembership extends pulumi.dynamic.Resource {
  declare public readonly securityGroupId: pulumi.Output<string>;
  declare public readonly region: pulumi.Output<string>;
  /** The members, sorted. */
  declare public readonly instanceIds: pulumi.Output<string[]>;
  declare public readonly maxForeignRemovals: pulumi.Output<number>;
  declare public readonly removeAllOnDestroy: pulumi.Output<boolean>;
  /** Members this resource bound itself: unbound on destroy. */
  declare public readonly boundInstanceIds: pulumi.Output<string[]>;
  /** Members that held the group before it declared them: left on destroy unless `removeAllOnDestroy`. */
  declare public readonly preexistingInstanceIds: pulumi.Output<string[]>;
  /** In a preview: members the `up` binds. Empty once converged. */
  declare public readonly bindingsToAdd: pulumi.Output<string[]>;
  /** In a preview: holders this resource did not bind that the `up` unbinds. Empty once converged. */
  declare public readonly bindingsToRemove: pulumi.Output<string[]>;
  /** Holders it did not bind, as last seen: a refresh reports them here. */
  declare public readonly foreignInstanceIds: pulumi.Output<string[]>;
  /** Instance → how many times a binding this resource made was found removed (absent when never). */
  declare public readonly removedOutside: pulumi.Output<Record<string, number> | undefined>;
  /** Counts the plans check made and create/update carried out. */
  declare public readonly revision: pulumi.Output<number>;
  declare public readonly owner: pulumi.Output<string>;

  constructor(name: string, args: SecurityGroupMembershipArgs, opts?: pulumi.CustomResourceOptions) {
    const region =
      args?.region ?? new pulumi.Config("tencentcloud").get("region") ?? process.env.TENCENTCLOUD_REGION;
    const props: Record<keyof MembershipOutputs, unknown> = {
      securityGroupId: args?.securityGroupId,
      instanceIds: args?.instanceIds,
      region,
      maxForeignRemovals: args?.maxForeignRemovals ?? 0,
      removeAllOnDestroy: args?.removeAllOnDestroy ?? false,
      owner: ownerOf(name),
      // Planned by check, recorded by create and update.
      boundInstanceIds: undefined,
      preexistingInstanceIds: undefined,
      bindingsToAdd: undefined,
      bindingsToRemove: undefined,
      foreignInstanceIds: undefined,
      revision: undefined,
      removedOutside: undefined,
    };
    super(providerStub, name, props, opts, "tencentcloud", "SecurityGroupMembership");
  }
}
