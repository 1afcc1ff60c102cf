// The error codes the emulator can return, each with its default message.
// Codes are Tencent Cloud API 3.0 codes (common ones and those documented for
// the CVM/VPC actions emulated here). Messages that name resources use the
// stable formats built by `instancesPhrase` / `securityGroupsPhrase`:
//   "instances [ins-aaaa0001, ins-bbbb0002]"   "security groups [sg-aaaa0001]"
// so a client can extract the ids with /instances \[([^\]]*)\]/ and split on ", ".

export const ERROR_CATALOGUE = {
  // --- authentication (common) ---
  "AuthFailure.SignatureFailure":
    "The provided credentials could not be validated. Please check your signature is correct.",
  "AuthFailure.SignatureExpire":
    "Signature expired. Timestamp is more than 300 seconds away from the server time.",
  "AuthFailure.SecretIdNotFound": "The SecretId is not found, please ensure that your SecretId is correct.",
  "AuthFailure.InvalidSecretId": "Invalid key (not a cloud API key type).",
  "AuthFailure.TokenFailure": "Token verification failed.",
  "AuthFailure.UnauthorizedOperation": "The request is not authorized.",
  UnauthorizedOperation: "Unauthorized operation.",
  // --- request shape (common) ---
  InvalidAction: "The requested action does not exist.",
  NoSuchVersion: "The requested API version does not exist.",
  UnsupportedProtocol: "Only GET and POST requests are supported.",
  RequestSizeLimitExceeded: "The request body exceeds the size limit.",
  InvalidParameter: "A parameter is invalid.",
  InvalidParameterValue: "A parameter value is invalid.",
  InvalidParameterCombination: "The parameters cannot be used together.",
  MissingParameter: "A required parameter is missing.",
  UnknownParameter: "An unknown parameter was provided.",
  UnsupportedRegion: "The API does not support this region.",
  InvalidFilter: "The filter is not supported.",
  "InvalidFilterValue.LimitExceeded": "Too many values in a filter.",
  // --- service health / throttling (common) ---
  InternalError: "An internal error occurred.",
  ServiceUnavailable: "The service is temporarily unavailable.",
  ResourceUnavailable: "The resource is unavailable.",
  ResourceInUse: "The resource is in use.",
  RequestLimitExceeded: "Your request frequency is too high. Please try again later.",
  "RequestLimitExceeded.UinLimitExceeded": "The request frequency of your account is too high.",
  "RequestLimitExceeded.IPLimitExceeded": "The request frequency of your IP is too high.",
  "RequestLimitExceeded.GlobalRegionUinLimitExceeded":
    "The global request frequency of your account is too high.",
  // --- CVM Associate/Disassociate/DescribeInstances ---
  "FailedOperation.SecurityGroupActionFailed": "Security group operation failed.",
  "InvalidInstanceId.Malformed": "Invalid instance ID. The specified instance ID has an invalid format.",
  "InvalidParameterValue.InstanceIdMalformed":
    "Invalid instance ID. Please enter a valid ID, such as ins-xxxxxxxx (x is a lower-case letter or a number).",
  "InvalidInstanceId.NotFound": "No instance found.",
  "InvalidParameterValue.LimitExceeded": "The number of parameter values exceeds the limit.",
  "InvalidSecurityGroupId.NotFound": "The specified security group ID does not exist.",
  "InvalidSgId.Malformed": "The specified security group ID is in the wrong format.",
  "LimitExceeded.AssociateUSGLimitExceeded":
    "The number of security groups bound to the instance exceeds the limit.",
  "LimitExceeded.CvmsVifsPerSecGroupLimitExceeded":
    "The number of instances bound to the security group exceeds the limit.",
  "LimitExceeded.SingleUSGQuota": "The security group quota is exceeded.",
  "MutexOperation.TaskRunning": "An identical job is running.",
  "OperationDenied.InstanceOperationInProgress":
    "The instance has an operation in progress. Please try again later.",
  SecGroupActionFailure: "A general error occurred during the security group service API call.",
  "UnsupportedOperation.InstanceStateIsolating":
    "The instance is being isolated; the operation is not supported.",
  "UnsupportedOperation.InstanceStatePending":
    "The instance is being created; the operation is not supported.",
  UnsupportedOperation: "Unsupported operation.",
  // --- CVM ModifyInstancesAttribute (besides the codes above) ---
  "InvalidInstanceName.TooLong": "The instance name exceeds 60 characters.",
  "UnsupportedOperation.InstanceStateRebooting": "The instance is rebooting; the operation is not supported.",
  "UnsupportedOperation.InstanceStateShutdown": "The instance is isolated; the operation is not supported.",
  "UnsupportedOperation.InstanceStateStarting": "The instance is starting; the operation is not supported.",
  "UnsupportedOperation.InstanceStateStopping": "The instance is stopping; the operation is not supported.",
  "UnsupportedOperation.InstanceStateTerminating":
    "The instance is being terminated; the operation is not supported.",
  // --- STS AssumeRole / GetCallerIdentity ---
  "InvalidParameter.ParamError": "A parameter is invalid.",
  "InvalidParameter.OverTimeError": "DurationSeconds is out of range.",
  "InvalidParameter.StrategyFormatError": "The policy is malformed.",
  "ResourceNotFound.RoleNotExist": "The role does not exist.",
  // --- VPC DescribeSecurityGroups ---
  "InvalidParameterValue.Malformed": "The parameter value is malformed.",
  "InvalidParameterValue.Range": "The parameter value is out of range.",
  "InvalidParameter.Coexist": "The parameters cannot be specified at the same time.",
  "InvalidParameter.FilterInvalidKey": "The filter key is invalid.",
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

function isKnownErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}

export function defaultMessage(code: string): string {
  return isKnownErrorCode(code) ? ERROR_CATALOGUE[code] : "Injected error.";
}

/**
 * A Tencent Cloud business error: travels as HTTP 200 with
 * `{"Response":{"Error":{"Code","Message"},"RequestId"}}`. Codes outside the
 * catalogue are allowed only for injected faults.
 */
export class ApiFault extends Error {
  readonly code: string;
  /** Instance ids the message names, if any. */
  readonly instanceIds?: string[];

  constructor(code: ErrorCode | string, message?: string, instanceIds?: string[]) {
    super(message ?? defaultMessage(code));
    this.name = "ApiFault";
    this.code = code;
    if (instanceIds) this.instanceIds = instanceIds;
  }
}

/** Shorthand that keeps the code typed. */
export function apiFault(code: ErrorCode, message?: string, instanceIds?: string[]): ApiFault {
  return new ApiFault(code, message, instanceIds);
}

/** "instances [ins-aaaa0001, ins-bbbb0002]" — the stable way messages name instances. */
export function instancesPhrase(ids: readonly string[]): string {
  return `instances [${ids.join(", ")}]`;
}

/** "security groups [sg-aaaa0001]" — the stable way messages name security groups. */
export function securityGroupsPhrase(ids: readonly string[]): string {
  return `security groups [${ids.join(", ")}]`;
}

/** Inverse of instancesPhrase: the instance ids a message names ([] if none). */
export function instanceIdsFromMessage(message: string): string[] {
  const m = /instances \[([^\]]*)\]/.exec(message);
  if (!m || m[1].trim() === "") return [];
  return m[1].split(", ");
}

// Fixed texts used by parameter validation, so that their wording is uniform.
export const msg = {
  missing: (name: string) => `The request is missing a required parameter \`${name}\`.`,
  unknown: (name: string) => `The parameter \`${name}\` is not recognized.`,
  type: (name: string, expected: string) =>
    `The value type of parameter \`${name}\` is not valid, expected ${expected}.`,
};
