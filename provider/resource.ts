import * as pulumi from "@pulumi/pulumi";
import { defaultJournalDir, journalProblem } from "./impl/journal";
import * as providerStub from "./stub";
import type { AttachmentOutputs } from "./types";

/** Arguments of a {@link SecurityGroupAttachment}. */
export interface SecurityGroupAttachmentArgs {
  /** The security group to bind, `sg-` followed by 8 lowercase letters or digits. */
  securityGroupId: pulumi.Input<string>;
  /**
   * The CVM instances to bind it to (`ins-…`). A set: order and duplicates do
   * not matter. Any number; requests go out in batches of at most 100.
   */
  instanceIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Region, e.g. `ap-guangzhou`. Default: config `tencentcloud:region`, then env `TENCENTCLOUD_REGION`. */
  region?: pulumi.Input<string>;
  /**
   * Take over bindings that already exist (they are then unbound on destroy)
   * instead of failing. A dynamic resource cannot be imported, so this is its
   * way to bring existing bindings under management (the provider plugin also
   * has `pulumi import`).
   */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * Binds CVM instances to one security group (`AssociateSecurityGroups`) and
 * unbinds them on destroy (`DisassociateSecurityGroups`). Other security
 * groups of the instances are never touched.
 *
 * Changing `securityGroupId` or `region` replaces the attachment (the new
 * group is bound before the old one is unbound); changing `instanceIds`
 * updates it in place.
 */
export class SecurityGroupAttachment extends pulumi.dynamic.Resource {
  declare public readonly securityGroupId: pulumi.Output<string>;
  /** Sorted and deduplicated; after a refresh, only the instances really bound. */
  declare public readonly instanceIds: pulumi.Output<string[]>;
  /**
   * The instances the program declared at the last create or update (sorted),
   * kept across refreshes: a refresh looks them up again, so that an instance
   * it dropped from `instanceIds` and that is bound again outside Pulumi is
   * listed there again.
   */
  declare public readonly declaredInstanceIds: pulumi.Output<string[]>;
  declare public readonly region: pulumi.Output<string>;
  declare public readonly adoptExisting: pulumi.Output<boolean>;
  /** Position of this group in each instance's list (0 = highest priority). */
  declare public readonly priorities: pulumi.Output<Record<string, number>>;
  /** Instances that already held the group when this resource adopted them. */
  declare public readonly adoptedInstanceIds: pulumi.Output<string[]>;
  /** `<project>/<stack>/<name>`: whose bindings these are (crash recovery takes back only its own). */
  declare public readonly owner: pulumi.Output<string>;
  /**
   * Instance id -> how many times a binding this resource made was found
   * removed outside Pulumi (absent while none was). From the second removal
   * of one binding on, `refresh` and `up` warn that another manager of the
   * instance's groups is undoing this resource.
   */
  declare public readonly removedOutside: pulumi.Output<Record<string, number> | undefined>;

  constructor(name: string, args: SecurityGroupAttachmentArgs, opts?: pulumi.CustomResourceOptions) {
    const region =
      args?.region ?? new pulumi.Config("tencentcloud").get("region") ?? process.env.TENCENTCLOUD_REGION;
    const props: Record<keyof AttachmentOutputs, unknown> = {
      securityGroupId: args?.securityGroupId,
      instanceIds: args?.instanceIds,
      region,
      adoptExisting: args?.adoptExisting ?? false,
      owner: ownerOf(name),
      // Outputs only: declared so that they exist on the resource object.
      declaredInstanceIds: undefined,
      priorities: undefined,
      adoptedInstanceIds: undefined,
      removedOutside: undefined,
    };
    super(providerStub, name, props, opts, "tencentcloud", "SecurityGroupAttachment");
    warnIfJournalUnwritable();
  }
}

/**
 * The owner identity: project, stack and resource name. A dynamic provider's
 * `create` gets no URN, so the resource passes this as an input (no diff
 * looks at it; it holds nothing secret).
 */
export function ownerOf(name: string): string {
  return `${pulumi.getProject()}/${pulumi.getStack()}/${name}`;
}

let journalChecked = false;

/**
 * Once per program run: the provider process cannot show a warning, the
 * program can. Both run on this machine with the same environment.
 */
function warnIfJournalUnwritable(): void {
  if (journalChecked) return;
  journalChecked = true;
  const problem = journalProblem(defaultJournalDir(process.env));
  if (problem) void pulumi.log.warn(`SecurityGroupAttachment: ${problem}`);
}
