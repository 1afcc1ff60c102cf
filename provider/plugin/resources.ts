// The resource types this plugin serves, by type token: one row per type, each
// an implementation of the one core (provider/impl). A row receives the
// resource's URN as the `owner` of its bindings (see ./provider.ts).

import { implementation as attachment, membership } from "../impl";
import { PROVIDER_NAMESPACE } from "../impl/settings";

/** What a row implements: the core's entry points, as the dynamic resource calls them. */
export interface ResourceImplementation {
  check(olds: any, news: any): Promise<{ inputs?: any; failures?: { property: string; reason: string }[] }>;
  diff(
    id: string,
    olds: any,
    news: any,
  ): Promise<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }>;
  create(inputs: any): Promise<{ id: string; outs: any }>;
  read(id: string, props: any): Promise<{ id?: string; props?: any; inputs?: object }>;
  update(id: string, olds: any, news: any): Promise<{ outs: any }>;
  delete(id: string, props: any): Promise<void>;
}

export const RESOURCES: Readonly<Record<string, ResourceImplementation>> = {
  [`${PROVIDER_NAMESPACE}:index:SecurityGroupAttachment`]: attachment,
  [`${PROVIDER_NAMESPACE}:index:SecurityGroupMembership`]: membership,
};
