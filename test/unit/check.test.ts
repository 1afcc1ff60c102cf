import { checkInputs, requireValidInputs, UNKNOWN } from "../../provider/impl/validate";

const settings = { region: "ap-guangzhou" };

describe("checkInputs", () => {
  it("accepts valid inputs and normalises them", () => {
    const r = checkInputs(
      {
        securityGroupId: "sg-abcd1234",
        instanceIds: ["ins-bbbb2222", "ins-aaaa1111", "ins-bbbb2222"],
        region: "ap-shanghai",
        adoptExisting: true,
      },
      settings,
    );
    expect(r.failures).toEqual([]);
    expect(r.inputs).toEqual({
      securityGroupId: "sg-abcd1234",
      instanceIds: ["ins-aaaa1111", "ins-bbbb2222"],
      region: "ap-shanghai",
      adoptExisting: true,
    });
  });

  it("resolves the region from the settings and defaults adoptExisting", () => {
    const r = checkInputs({ securityGroupId: "sg-abcd1234", instanceIds: ["ins-aaaa1111"] }, settings);
    expect(r.failures).toEqual([]);
    expect(r.inputs.region).toBe("ap-guangzhou");
    expect(r.inputs.adoptExisting).toBe(false);
  });

  it("drops unrelated properties (e.g. output placeholders) from the returned inputs", () => {
    const r = checkInputs(
      { securityGroupId: "sg-abcd1234", instanceIds: ["ins-aaaa1111"], priorities: { x: 1 }, other: 1 },
      settings,
    );
    expect(Object.keys(r.inputs).sort()).toEqual([
      "adoptExisting",
      "instanceIds",
      "region",
      "securityGroupId",
    ]);
  });

  it("reports every problem at once, with property names and fixes", () => {
    const r = checkInputs(
      {
        securityGroupId: "SG-1",
        instanceIds: ["ins-aaaa1111", "i-123", 7, "ins-AAAA1111"],
        region: "Guangzhou",
        adoptExisting: "yes",
      },
      settings,
    );
    const props = r.failures.map((f) => f.property);
    expect(props).toEqual([
      "securityGroupId",
      "instanceIds[1]",
      "instanceIds[2]",
      "instanceIds[3]",
      "region",
      "adoptExisting",
    ]);
    expect(r.failures[0].reason).toMatch(/"sg-" followed by 8 lowercase letters or digits/);
    expect(r.failures[1].reason).toMatch(/instanceIds\[1\] "i-123" is not an instance id/);
    expect(r.failures[2].reason).toMatch(/must be a string/);
    expect(r.failures[4].reason).toMatch(/ap-guangzhou/);
    expect(r.failures[5].reason).toMatch(/true or false/);
  });

  it("requires securityGroupId and instanceIds", () => {
    const r = checkInputs({}, settings);
    expect(r.failures.map((f) => f.property)).toEqual(["securityGroupId", "instanceIds"]);
    expect(r.failures[0].reason).toMatch(/required/);
    expect(r.failures[1].reason).toMatch(/required/);
  });

  it("rejects an empty list and a non-list", () => {
    expect(checkInputs({ securityGroupId: "sg-abcd1234", instanceIds: [] }, settings).failures).toEqual([
      expect.objectContaining({
        property: "instanceIds",
        reason: expect.stringMatching(/must not be empty/),
      }),
    ]);
    expect(
      checkInputs({ securityGroupId: "sg-abcd1234", instanceIds: "ins-aaaa1111" }, settings).failures,
    ).toEqual([
      expect.objectContaining({ property: "instanceIds", reason: expect.stringMatching(/must be a list/) }),
    ]);
    expect(checkInputs({ securityGroupId: 5, instanceIds: ["ins-aaaa1111"] }, settings).failures).toEqual([
      expect.objectContaining({
        property: "securityGroupId",
        reason: expect.stringMatching(/must be a string/),
      }),
    ]);
  });

  it("fails on region when neither input, config nor env gives one, saying how to fix it", () => {
    const r = checkInputs({ securityGroupId: "sg-abcd1234", instanceIds: ["ins-aaaa1111"] }, {});
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0].property).toBe("region");
    expect(r.failures[0].reason).toMatch(/tencentcloud:region/);
    expect(r.failures[0].reason).toMatch(/TENCENTCLOUD_REGION/);
  });

  it("flags a bad default region as such", () => {
    const r = checkInputs(
      { securityGroupId: "sg-abcd1234", instanceIds: ["ins-aaaa1111"] },
      { region: "GZ" },
    );
    expect(r.failures[0]).toMatchObject({
      property: "region",
      reason: expect.stringMatching(/the default region "GZ"/),
    });
  });

  it("lets unknown values (preview) pass", () => {
    const r = checkInputs(
      { securityGroupId: UNKNOWN, instanceIds: UNKNOWN, region: UNKNOWN, adoptExisting: UNKNOWN },
      {},
    );
    expect(r.failures).toEqual([]);
    expect(r.inputs).toEqual({
      securityGroupId: UNKNOWN,
      instanceIds: UNKNOWN,
      region: UNKNOWN,
      adoptExisting: UNKNOWN,
    });

    const partly = checkInputs(
      { securityGroupId: "sg-abcd1234", instanceIds: ["ins-aaaa1111", UNKNOWN] },
      settings,
    );
    expect(partly.failures).toEqual([]);
    expect(partly.inputs.instanceIds).toEqual(expect.arrayContaining(["ins-aaaa1111", UNKNOWN]));
  });

  it("truncates very long bad values in messages", () => {
    const r = checkInputs({ securityGroupId: "x".repeat(500), instanceIds: ["ins-aaaa1111"] }, settings);
    expect(r.failures[0].reason.length).toBeLessThan(250);
  });
});

describe("requireValidInputs", () => {
  it("returns normalised inputs", () => {
    expect(
      requireValidInputs(
        { securityGroupId: "sg-abcd1234", instanceIds: ["ins-bbbb2222", "ins-aaaa1111"] },
        settings,
      ),
    ).toEqual({
      securityGroupId: "sg-abcd1234",
      instanceIds: ["ins-aaaa1111", "ins-bbbb2222"],
      region: "ap-guangzhou",
      adoptExisting: false,
    });
  });
  it("throws one error listing every problem, and unknown values", () => {
    expect(() => requireValidInputs({ securityGroupId: "nope", instanceIds: [] }, settings)).toThrow(
      /securityGroupId "nope"[\s\S]*must not be empty/,
    );
    expect(() =>
      requireValidInputs({ securityGroupId: UNKNOWN, instanceIds: ["ins-aaaa1111"] }, settings),
    ).toThrow(/securityGroupId is not known yet/);
  });
});
