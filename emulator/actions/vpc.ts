// VPC action: DescribeSecurityGroups (version 2017-03-12; Offset/Limit are strings).

import { apiFault, securityGroupsPhrase } from "../errors";
import { isSecurityGroupId } from "../model/ids";
import { querySecurityGroups, SECURITY_GROUP_FILTERS, type FilterSpec } from "../model/queries";
import type { SecurityGroupData } from "../model/world";
import { S } from "../protocol/params";
import type { ActionDef } from "./types";

function renderSecurityGroup(sg: SecurityGroupData): Record<string, unknown> {
  const time = sg.createdTime.replace("T", " ").replace(/Z$/, "");
  return {
    SecurityGroupId: sg.id,
    SecurityGroupName: sg.name,
    SecurityGroupDesc: "",
    ProjectId: "0",
    IsDefault: false,
    CreatedTime: time,
    UpdateTime: time,
    TagSet: [],
  };
}

function parseNonNegative(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d{1,9}$/.test(v)) {
    throw apiFault(
      "InvalidParameterValue.Malformed",
      `The parameter \`${name}\` must be a non-negative integer string.`,
    );
  }
  return Number(v);
}

const describeSecurityGroups: ActionDef = {
  name: "DescribeSecurityGroups",
  service: "vpc",
  version: "2017-03-12",
  schema: S.object({
    SecurityGroupIds: S.opt(S.array(S.string())),
    Filters: S.opt(S.array(S.object({ Name: S.req(S.string()), Values: S.req(S.array(S.string())) }))),
    Offset: S.opt(S.string()),
    Limit: S.opt(S.string()),
  }),
  handler(params, ctx) {
    const ids = params.SecurityGroupIds as string[] | undefined;
    const rawFilters = params.Filters as { Name: string; Values: string[] }[] | undefined;
    if (ids && rawFilters) {
      throw apiFault(
        "InvalidParameter.Coexist",
        "The parameters `SecurityGroupIds` and `Filters` cannot be specified at the same time.",
      );
    }
    if (ids) {
      if (ids.length > 100) {
        throw apiFault(
          "InvalidParameterValue.LimitExceeded",
          `The number of \`SecurityGroupIds\` values (${ids.length}) exceeds the limit of 100.`,
        );
      }
      const bad = ids.filter((id) => !isSecurityGroupId(id));
      if (bad.length) {
        throw apiFault(
          "InvalidParameterValue.Malformed",
          `${securityGroupsPhrase(bad)} have a malformed id, expected sg- followed by 8 lowercase letters or digits`,
        );
      }
    }
    const filters: FilterSpec[] = [];
    for (const f of rawFilters ?? []) {
      if (!Object.prototype.hasOwnProperty.call(SECURITY_GROUP_FILTERS, f.Name)) {
        throw apiFault(
          "InvalidParameter.FilterInvalidKey",
          `The filter \`${f.Name}\` is not supported; supported: ${Object.keys(SECURITY_GROUP_FILTERS).join(", ")}.`,
        );
      }
      if (f.Values.length > 5) {
        throw apiFault(
          "InvalidParameterValue.LimitExceeded",
          `The filter \`${f.Name}\` has ${f.Values.length} values; the limit is 5.`,
        );
      }
      filters.push({ name: f.Name, values: f.Values });
    }
    if (filters.length > 10) {
      throw apiFault(
        "InvalidParameterValue.LimitExceeded",
        `The number of \`Filters\` (${filters.length}) exceeds the limit of 10.`,
      );
    }
    const offset = parseNonNegative("Offset", params.Offset as string | undefined, 0);
    const limit = parseNonNegative("Limit", params.Limit as string | undefined, 20);
    if (limit < 1 || limit > 100) {
      throw apiFault(
        "InvalidParameterValue.Range",
        `The parameter \`Limit\` (${limit}) must be between 1 and 100.`,
      );
    }
    const region = ctx.world.region(ctx.region)!;
    const all = querySecurityGroups(region, { securityGroupIds: ids, filters });
    return {
      TotalCount: all.length,
      SecurityGroupSet: all.slice(offset, offset + limit).map(renderSecurityGroup),
    };
  },
};

export const VPC_ACTIONS: ActionDef[] = [describeSecurityGroups];
