// CVM actions: DescribeInstances, AssociateSecurityGroups, DisassociateSecurityGroups,
// ModifyInstancesAttribute (InstanceName or SecurityGroups).

import { apiFault, securityGroupsPhrase } from "../errors";
import { checkBindingRequest, checkInstanceIdShapes } from "../model/bindings";
import { isSecurityGroupId } from "../model/ids";
import { checkModifyRequest } from "../model/modify";
import { BINDING_ACTIONS, MODIFY_ACTION, type BindingAction } from "../model/operations";
import {
  diskIdOf,
  INSTANCE_FILTERS,
  privateIpOf,
  queryInstances,
  subnetIdOf,
  uuidOf,
  vpcIdOf,
  type FilterSpec,
} from "../model/queries";
import type { InstanceData } from "../model/world";
import { S } from "../protocol/params";
import type { InstanceAttribute } from "../types";
import type { ActionContext, ActionDef } from "./types";

const VERSION = "2017-03-12";

const MAX_IDS_PER_CALL = 100;
const MAX_FILTERS = 10;
const MAX_FILTER_VALUES = 5;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

const filterSchema = S.object({ Name: S.req(S.string()), Values: S.req(S.array(S.string())) });

interface RawFilter {
  Name: string;
  Values: string[];
}

function tooMany(name: string, n: number, max: number): never {
  throw apiFault(
    "InvalidParameterValue.LimitExceeded",
    `The number of \`${name}\` values (${n}) exceeds the limit of ${max}.`,
  );
}

/** The Instance structure of DescribeInstances, with realistic constant/derived fields. */
function renderInstance(i: InstanceData, region: string): Record<string, unknown> {
  return {
    Placement: { Zone: i.zone, ProjectId: 0, HostIds: null, HostId: null },
    InstanceId: i.id,
    Uuid: uuidOf(i.id),
    InstanceType: "S5.MEDIUM4",
    CPU: 2,
    Memory: 4,
    RestrictState: "NORMAL",
    InstanceName: i.name,
    InstanceChargeType: "POSTPAID_BY_HOUR",
    SystemDisk: { DiskType: "CLOUD_BSSD", DiskId: diskIdOf(i.id), DiskSize: 50 },
    DataDisks: null,
    PrivateIpAddresses: [privateIpOf(i.id)],
    PublicIpAddresses: null,
    InternetAccessible: { InternetChargeType: "TRAFFIC_POSTPAID_BY_HOUR", InternetMaxBandwidthOut: 0 },
    VirtualPrivateCloud: { VpcId: vpcIdOf(region), SubnetId: subnetIdOf(i.zone), AsVpcGateway: false },
    ImageId: "img-l8og963d",
    RenewFlag: null,
    CreatedTime: i.createdTime,
    ExpiredTime: null,
    OsName: "TencentOS Server 3.1 (TK4)",
    SecurityGroupIds: [...i.securityGroupIds],
    LoginSettings: { Password: null, KeyIds: null, KeepImageLogin: null },
    InstanceState: i.state,
    Tags: [],
    StopChargingMode: "NOT_APPLICABLE",
    LatestOperation: i.latestOperation,
    LatestOperationState: i.latestOperationState,
    LatestOperationRequestId: i.latestOperationRequestId,
    LatestOperationErrorMsg: i.latestOperationErrorMsg,
    DisasterRecoverGroupId: "",
    IPv6Addresses: null,
    CamRoleName: "",
    HpcClusterId: "",
    RdmaIpAddresses: null,
    DedicatedClusterId: "",
    IsolatedSource: "NOTISOLATED",
    GPUInfo: null,
    LicenseType: "TencentCloud",
    DisableApiTermination: false,
    DefaultLoginUser: "root",
    DefaultLoginPort: 22,
  };
}

const describeInstances: ActionDef = {
  name: "DescribeInstances",
  service: "cvm",
  version: VERSION,
  schema: S.object({
    InstanceIds: S.opt(S.array(S.string())),
    Filters: S.opt(S.array(filterSchema)),
    Offset: S.opt(S.integer()),
    Limit: S.opt(S.integer()),
  }),
  handler(params, ctx) {
    const ids = params.InstanceIds as string[] | undefined;
    const rawFilters = params.Filters as RawFilter[] | undefined;
    const offset = (params.Offset as number | undefined) ?? 0;
    const limit = (params.Limit as number | undefined) ?? DEFAULT_LIMIT;
    if (ids && rawFilters) {
      throw apiFault(
        "InvalidParameterCombination",
        "The parameters `InstanceIds` and `Filters` cannot be specified at the same time.",
      );
    }
    if (ids) {
      if (ids.length > MAX_IDS_PER_CALL) tooMany("InstanceIds", ids.length, MAX_IDS_PER_CALL);
      checkInstanceIdShapes(ids);
    }
    const filters: FilterSpec[] = [];
    if (rawFilters) {
      if (rawFilters.length > MAX_FILTERS) tooMany("Filters", rawFilters.length, MAX_FILTERS);
      rawFilters.forEach((f, n) => {
        if (!Object.prototype.hasOwnProperty.call(INSTANCE_FILTERS, f.Name)) {
          throw apiFault(
            "InvalidFilter",
            `The filter \`${f.Name}\` is not supported; supported: ${Object.keys(INSTANCE_FILTERS).join(", ")}.`,
          );
        }
        if (f.Values.length > MAX_FILTER_VALUES) {
          throw apiFault(
            "InvalidFilterValue.LimitExceeded",
            `The filter \`Filters.${n}\` (${f.Name}) has ${f.Values.length} values; the limit is ${MAX_FILTER_VALUES}.`,
          );
        }
        if (f.Name === "instance-id") checkInstanceIdShapes(f.Values);
        if (f.Name === "security-group-id") {
          const bad = f.Values.filter((v) => !isSecurityGroupId(v));
          if (bad.length) {
            throw apiFault(
              "InvalidSgId.Malformed",
              `${securityGroupsPhrase(bad)} have a malformed id, expected sg- followed by 8 lowercase letters or digits`,
            );
          }
        }
        filters.push({ name: f.Name, values: f.Values });
      });
    }
    if (offset < 0) throw apiFault("InvalidParameterValue", "The parameter `Offset` must be >= 0.");
    if (limit < 1)
      throw apiFault("InvalidParameterValue", "The parameter `Limit` must be between 1 and 100.");
    if (limit > MAX_LIMIT) {
      throw apiFault(
        "InvalidParameterValue.LimitExceeded",
        `The parameter \`Limit\` (${limit}) exceeds the maximum of ${MAX_LIMIT}.`,
      );
    }
    const region = ctx.world.region(ctx.region)!;
    const all = queryInstances(region, { instanceIds: ids, filters });
    return {
      TotalCount: all.length,
      InstanceSet: all.slice(offset, offset + limit).map((i) => renderInstance(i, ctx.region)),
    };
  },
};

function bindingAction(name: BindingAction): ActionDef {
  return {
    name,
    service: "cvm",
    version: VERSION,
    schema: S.object({
      SecurityGroupIds: S.req(S.array(S.string())),
      InstanceIds: S.req(S.array(S.string())),
    }),
    handler(params, ctx: ActionContext) {
      const sgIds = params.SecurityGroupIds as string[];
      const rawIds = params.InstanceIds as string[];
      if (sgIds.length !== 1) {
        throw apiFault(
          "InvalidParameterValue.LimitExceeded",
          `Exactly one security group must be given in \`SecurityGroupIds\` (got ${sgIds.length}).`,
        );
      }
      if (rawIds.length > MAX_IDS_PER_CALL) tooMany("InstanceIds", rawIds.length, MAX_IDS_PER_CALL);
      const instanceIds = [...new Set(rawIds)];
      const req = { action: name, region: ctx.region, securityGroupId: sgIds[0], instanceIds };
      checkBindingRequest(ctx.world, ctx.ops, ctx.rules, req);
      const failures = ctx.operationFailures(name, instanceIds);
      ctx.ops.submit({ ...req, requestId: ctx.requestId, failures });
      return {};
    },
  };
}

/**
 * One attribute per request, for up to 100 instances, asynchronous like the
 * bindings (LatestOperation = ModifyInstancesAttribute). SecurityGroups
 * replaces each instance's whole list, in the order given. An empty list is
 * no attribute at all (the parameter decoder drops empty arrays, as the Go
 * SDK's omitempty does), so this action never leaves an instance without a
 * group. The other documented attributes (UserData, CamRoleName, HostName,
 * DisableApiTermination...) are not emulated: UnknownParameter.
 */
const modifyInstancesAttribute: ActionDef = {
  name: MODIFY_ACTION,
  service: "cvm",
  version: VERSION,
  schema: S.object({
    InstanceIds: S.req(S.array(S.string())),
    InstanceName: S.opt(S.string()),
    SecurityGroups: S.opt(S.array(S.string())),
  }),
  handler(params, ctx: ActionContext) {
    const rawIds = params.InstanceIds as string[];
    const name = params.InstanceName as string | undefined;
    const groups = params.SecurityGroups as string[] | undefined;
    if (rawIds.length > MAX_IDS_PER_CALL) tooMany("InstanceIds", rawIds.length, MAX_IDS_PER_CALL);
    if (name === undefined && groups === undefined) {
      throw apiFault(
        "MissingParameter",
        "One attribute to modify must be given: `InstanceName` or `SecurityGroups`.",
      );
    }
    if (name !== undefined && groups !== undefined) {
      throw apiFault(
        "InvalidParameterCombination",
        "The parameters `InstanceName` and `SecurityGroups` cannot be specified at the same time.",
      );
    }
    const attribute: InstanceAttribute = groups ? { securityGroupIds: groups } : { instanceName: name! };
    const instanceIds = [...new Set(rawIds)];
    checkModifyRequest(ctx.world, ctx.ops, ctx.rules, { region: ctx.region, instanceIds, attribute });
    const failures = ctx.operationFailures(MODIFY_ACTION, instanceIds);
    ctx.ops.submit({
      action: MODIFY_ACTION,
      region: ctx.region,
      securityGroupId: "",
      attribute,
      instanceIds,
      requestId: ctx.requestId,
      failures,
    });
    return {};
  },
};

export const CVM_ACTIONS: ActionDef[] = [
  describeInstances,
  ...BINDING_ACTIONS.map(bindingAction),
  modifyInstancesAttribute,
];
