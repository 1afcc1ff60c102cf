// The provider plugin's adapter: its schema against the code, dispatch by
// type token, the engine's config keys, and the settings namespace.
import schema from "../../provider/plugin/schema.json";
import { RESOURCES } from "../../provider/plugin/resources";
import { provider, typeOf } from "../../provider/plugin/provider";
import { configOf } from "../../provider/plugin/serve";
import { resetForTests } from "../../provider/impl/index";
import { outputsOf } from "../../provider/impl/plan";
import { checkInputs } from "../../provider/impl/validate";
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
