import { diffAttachment } from "../../provider/impl/diff";
import { UNKNOWN } from "../../provider/impl/validate";
import type { AttachmentOutputs } from "../../provider/types";

const olds: AttachmentOutputs = {
  securityGroupId: "sg-abcd1234",
  instanceIds: ["ins-aaaa1111", "ins-bbbb2222"],
  declaredInstanceIds: ["ins-aaaa1111", "ins-bbbb2222"],
  region: "ap-guangzhou",
  adoptExisting: false,
  priorities: { "ins-aaaa1111": 1, "ins-bbbb2222": 0 },
  adoptedInstanceIds: [],
};

const news = (over: Record<string, unknown> = {}) => ({
  securityGroupId: "sg-abcd1234",
  instanceIds: ["ins-aaaa1111", "ins-bbbb2222"],
  region: "ap-guangzhou",
  adoptExisting: false,
  ...over,
});

describe("diffAttachment", () => {
  it("reports no change for identical inputs", () => {
    expect(diffAttachment(olds, news())).toEqual({ changes: false });
  });

  it("ignores order and duplicates", () => {
    expect(
      diffAttachment(olds, news({ instanceIds: ["ins-bbbb2222", "ins-aaaa1111", "ins-bbbb2222"] })),
    ).toEqual({
      changes: false,
    });
  });

  it("ignores adoptExisting alone", () => {
    expect(diffAttachment(olds, news({ adoptExisting: true }))).toEqual({ changes: false });
  });

  it("ignores the stored provider text and output-only fields", () => {
    expect(
      diffAttachment(
        { ...olds, __provider: "old code" },
        { ...news(), __provider: "new code", priorities: {} },
      ),
    ).toEqual({ changes: false });
  });

  it("replaces on a new securityGroupId, create-before-delete", () => {
    const d = diffAttachment(olds, news({ securityGroupId: "sg-zzzz9999" }));
    expect(d).toEqual({ changes: true, replaces: ["securityGroupId"] });
    expect(d.deleteBeforeReplace).toBeUndefined();
  });

  it("replaces on a new region", () => {
    expect(diffAttachment(olds, news({ region: "ap-shanghai" }))).toEqual({
      changes: true,
      replaces: ["region"],
    });
  });

  it("replaces both when both change", () => {
    expect(diffAttachment(olds, news({ securityGroupId: "sg-zzzz9999", region: "ap-shanghai" }))).toEqual({
      changes: true,
      replaces: ["securityGroupId", "region"],
    });
  });

  it("updates in place when instances are added or removed", () => {
    expect(diffAttachment(olds, news({ instanceIds: ["ins-aaaa1111"] }))).toEqual({ changes: true });
    expect(
      diffAttachment(olds, news({ instanceIds: ["ins-aaaa1111", "ins-bbbb2222", "ins-cccc3333"] })),
    ).toEqual({
      changes: true,
    });
    expect(diffAttachment(olds, news({ instanceIds: ["ins-aaaa1111", "ins-cccc3333"] }))).toEqual({
      changes: true,
    });
  });

  it("updates after a refresh dropped drifted instances from the outputs", () => {
    expect(diffAttachment({ ...olds, instanceIds: ["ins-aaaa1111"] }, news())).toEqual({ changes: true });
  });

  it("compares with the observed instanceIds, never with declaredInstanceIds", () => {
    // After a refresh dropped ins-bbbb2222: the program still lists it → bind it again.
    const refreshed = { ...olds, instanceIds: ["ins-aaaa1111"], priorities: { "ins-aaaa1111": 1 } };
    expect(diffAttachment(refreshed, news())).toEqual({ changes: true });
    // The inputs a refresh stores (the observed set) against its outputs: no change,
    // so a second refresh reports none.
    expect(diffAttachment(refreshed, news({ instanceIds: ["ins-aaaa1111"] }))).toEqual({ changes: false });
    // A declared set that differs from the observed one is not itself a change.
    expect(
      diffAttachment(
        { ...olds, declaredInstanceIds: ["ins-aaaa1111", "ins-bbbb2222", "ins-cccc3333"] },
        news(),
      ),
    ).toEqual({ changes: false });
  });

  it("treats outputs without declaredInstanceIds (older versions) like any other", () => {
    const { declaredInstanceIds: _d, ...legacy } = olds;
    expect(diffAttachment(legacy, news())).toEqual({ changes: false });
    expect(diffAttachment(legacy, news({ instanceIds: ["ins-aaaa1111"] }))).toEqual({ changes: true });
  });

  it("is conservative with unknown values", () => {
    expect(diffAttachment(olds, news({ securityGroupId: UNKNOWN }))).toEqual({
      changes: true,
      replaces: ["securityGroupId"],
    });
    expect(diffAttachment(olds, news({ region: UNKNOWN }))).toEqual({ changes: true, replaces: ["region"] });
    expect(diffAttachment(olds, news({ instanceIds: UNKNOWN }))).toEqual({ changes: true });
    expect(diffAttachment(olds, news({ instanceIds: ["ins-aaaa1111", UNKNOWN] }))).toEqual({ changes: true });
    expect(diffAttachment(olds, news({ adoptExisting: UNKNOWN }))).toEqual({ changes: false });
  });

  it("uses the default region when one side has none (outputs of older versions)", () => {
    const { region: _r, ...noRegion } = olds;
    expect(diffAttachment(noRegion, news(), "ap-guangzhou")).toEqual({ changes: false });
    expect(diffAttachment(noRegion, news(), "ap-shanghai")).toEqual({ changes: true, replaces: ["region"] });
    expect(diffAttachment(olds, news({ region: undefined }), "ap-guangzhou")).toEqual({ changes: false });
    expect(diffAttachment(noRegion, news({ region: undefined }))).toEqual({ changes: false });
  });

  it("updates when old outputs lack instanceIds or news are malformed", () => {
    const { instanceIds: _i, ...noIds } = olds;
    expect(diffAttachment(noIds, news())).toEqual({ changes: true });
    expect(diffAttachment(olds, news({ instanceIds: "ins-aaaa1111" }))).toEqual({ changes: true });
    expect(diffAttachment(undefined, undefined)).toEqual({ changes: true });
  });
});
