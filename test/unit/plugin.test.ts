// The provider plugin's adapter: its schema against the code, dispatch by
// type token, the engine's config keys, and the settings namespace.
import schema from "../../provider/plugin/schema.json";
import { RESOURCES } from "../../provider/plugin/resources";
import { provider, typeOf } from "../../provider/plugin/provider";
import { configOf } from "../../provider/plugin/serve";
import { resetForTests } from "../../provider/impl/index";
import { outputsOf } from "../../provider/impl/plan";
import { checkInputs, UNKNOWN } from "../../provider/impl/validate";
import { checkMembership } from "../../provider/impl/membership/check";
import { convergedOutputs } from "../../provider/impl/membership/plan";
import {
  CONFIG_KEYS,
  DEFAULT_TUNING,
  PROVIDER_NAMESPACE,
  regionHelp,
  resolveSettings,
  useConfigNamespace,
} from "../../provider/impl/settings";

const TOKEN = "tencentcloud-sg-attachment:index:SecurityGroupAttachment";
const URN = `urn:pulumi:dev::proj::my:index:Component$${TOKEN}::web`;
const MEMBERSHIP = "tencentcloud-sg-attachment:index:SecurityGroupMembership";
const MEMBERSHIP_URN = `urn:pulumi:dev::proj::my:index:Component$${MEMBERSHIP}::admins`;
/** A membership's props whose members are unknown (check plans nothing, so looks nothing up). */
const unplanned = { securityGroupId: "sg-abcd1234", instanceIds: [UNKNOWN], region: "ap-guangzhou" };

afterEach(() => resetForTests());

describe("plugin schema (provider/plugin/schema.json) against the code", () => {
  const res = schema.resources[TOKEN];

  it("has the package's name and version", () => {
    expect(schema.name).toBe(PROVIDER_NAMESPACE);
    expect(schema.version).toBe(require("../../package.json").version);
    expect(provider.version).toBe(schema.version);
    expect(Object.keys(schema.resources)).toEqual(Object.keys(RESOURCES));
  });

  it("declares the inputs check accepts and the outputs create returns", () => {
    const { inputs } = checkInputs(
      { securityGroupId: "sg-abcd1234", instanceIds: ["ins-abcd1234"] },
      { region: "ap-guangzhou" },
    );
    expect(Object.keys(res.inputProperties).sort()).toEqual(Object.keys(inputs).sort());
    expect(res.requiredInputs.sort()).toEqual(["instanceIds", "securityGroupId"]);
    const outs = outputsOf(
      { securityGroupId: "sg-abcd1234", instanceIds: [], region: "r", adoptExisting: false },
      URN,
      {},
      [],
    );
    // removedOutside: only once a removal by someone else was seen (fights.ts).
    expect(Object.keys(res.properties).sort()).toEqual([...Object.keys(outs), "removedOutside"].sort());
    expect(res.required).not.toContain("removedOutside");
  });

  it("declares the membership's inputs check accepts, and as outputs what check plans and create returns", async () => {
    const m = schema.resources[MEMBERSHIP];
    const noLookUp = () => Promise.reject(new Error("no look-up expected"));
    const { inputs, failures } = await checkMembership(
      {},
      unplanned,
      { region: "r", endpoint: {} as any },
      noLookUp,
    );
    expect(failures).toEqual([]);
    // What check plans (unknown here) and counts is output only: the user's inputs are the rest.
    const given = Object.keys(inputs).filter((k) => inputs[k] !== UNKNOWN && k !== "revision");
    expect(Object.keys(m.inputProperties).sort()).toEqual(given.sort());
    expect(m.requiredInputs.sort()).toEqual(["instanceIds", "securityGroupId"]);
    const outs = convergedOutputs(
      {
        ...unplanned,
        instanceIds: [],
        maxForeignRemovals: 0,
        removeAllOnDestroy: false,
        owner: URN,
        revision: 1,
      },
      { own: [], preexisting: [] },
    );
    expect(Object.keys(m.properties).sort()).toEqual([...Object.keys(outs), "removedOutside"].sort());
    for (const k of Object.keys(inputs)) expect(m.properties).toHaveProperty(k);
    expect(m.required.sort()).toEqual(Object.keys(outs).sort());
  });

  it("declares every config key the settings read, secrets marked, as the provider's inputs too", () => {
    const keys = [...Object.keys(CONFIG_KEYS), ...Object.keys(DEFAULT_TUNING)].sort();
    expect(Object.keys(schema.config.variables).sort()).toEqual(keys);
    expect(schema.provider.inputProperties).toEqual(schema.config.variables);
    const secret = Object.entries(schema.config.variables).filter(([, v]) => (v as any).secret);
    expect(secret.map(([k]) => k).sort()).toEqual(["secretKey", "securityToken"]);
  });

  it("names the Go and Python packages", () => {
    expect(schema.language.go.importBasePath).toMatch(/\/sdk\/go\/tencentcloudsgattachment$/);
    expect(schema.language.python.packageName).toBe("pulumi_tencentcloud_sg_attachment");
  });
});

describe("dispatch", () => {
  it("finds the type token in a URN with parent types", () => {
    expect(typeOf(URN)).toBe(TOKEN);
    expect(typeOf(`urn:pulumi:dev::proj::${TOKEN}::web`)).toBe(TOKEN);
  });

  it("serves the membership with its URN as the owner, from check on", async () => {
    expect(typeOf(MEMBERSHIP_URN)).toBe(MEMBERSHIP);
    const { inputs } = await provider.check(MEMBERSHIP_URN, {}, unplanned);
    expect(inputs).toMatchObject({ owner: MEMBERSHIP_URN, maxForeignRemovals: 0, removeAllOnDestroy: false });
    const att = await provider.check(
      URN,
      {},
      { securityGroupId: "sg-abcd1234", instanceIds: ["ins-abcd1234"] },
    );
    expect(att.inputs.owner).toBe(URN);
  });

  it("refuses a membership import id that is not <group>@<region>, naming the format", async () => {
    useConfigNamespace(PROVIDER_NAMESPACE);
    await expect(provider.read("sg-abcd1234@ap-guangzhou:ins-abcd1234", MEMBERSHIP_URN, {})).rejects.toThrow(
      /Cannot import "sg-abcd1234@ap-guangzhou:ins-abcd1234" as a SecurityGroupMembership: the id must be <securityGroupId>@<region>/,
    );
    await expect(provider.read("sg-x@ap-guangzhou", MEMBERSHIP_URN, {})).rejects.toThrow(/securityGroupId/);
  });

  it("refuses a type it does not serve, naming it", async () => {
    const other = "urn:pulumi:dev::proj::tencentcloud-sg-attachment:index:Nope::x";
    await expect(async () => provider.check(other, {}, {})).rejects.toThrow(
      'tencentcloud-sg-attachment has no resource type "tencentcloud-sg-attachment:index:Nope"',
    );
  });
});

describe("settings in the plugin's namespace", () => {
  it("maps the engine's <pkg>:config:<key> variables to <pkg>:<key>", () => {
    const m = configOf([
      ["tencentcloud-sg-attachment:config:region", "ap-guangzhou"],
      ["tencentcloud-sg-attachment:config:assumeRole", '{"roleArn":"x"}'],
    ]);
    expect([...m]).toEqual([
      ["tencentcloud-sg-attachment:region", "ap-guangzhou"],
      ["tencentcloud-sg-attachment:assumeRole", '{"roleArn":"x"}'],
    ]);
  });

  it("reads the official key names in its own namespace and names them in messages", () => {
    useConfigNamespace(PROVIDER_NAMESPACE);
    const config = new Map([
      ["tencentcloud-sg-attachment:region", "ap-shanghai"],
      ["tencentcloud:region", "ap-guangzhou"],
    ]);
    expect(resolveSettings((k) => config.get(k), {}).region).toBe("ap-shanghai");
    expect(regionHelp()).toContain("pulumi config set tencentcloud-sg-attachment:region ap-guangzhou");
    resetForTests();
    expect(CONFIG_KEYS.region).toBe("tencentcloud:region");
    expect(resolveSettings((k) => config.get(k), {}).region).toBe("ap-guangzhou");
  });
});
