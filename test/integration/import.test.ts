// `pulumi import` as the provider plugin sees it: read with the id alone
// (`<sg>@<region>:<instanceId>,...`). The bindings become the resource's own;
// an instance that does not hold the group is refused, naming it.
import { implementation } from "../../provider/impl/index";
import { bindingCalls, errorOf, useHarness } from "./helpers";
import { ins, makeSeed, REGION, sg } from "./world";

const OWNER = "urn:pulumi:dev::p::tencentcloud-sg-attachment:index:SecurityGroupAttachment::web";
const h = useHarness({
  seed: makeSeed({ extra: { [ins(1)]: [sg(99), sg(1)], [ins(2)]: [sg(1), sg(99)] } }),
});

describe("import (read with the id alone)", () => {
  it("returns inputs and outputs of the bindings named, and delete then unbinds them", async () => {
    const r = await implementation.read(`${sg(1)}@${REGION}:${ins(2)},${ins(1)}`, { owner: OWNER });
    expect(r.inputs).toEqual({
      securityGroupId: sg(1),
      instanceIds: [ins(1), ins(2)],
      region: REGION,
      adoptExisting: false,
    });
    expect(r.props).toMatchObject({
      securityGroupId: sg(1),
      instanceIds: [ins(1), ins(2)],
      declaredInstanceIds: [ins(1), ins(2)],
      priorities: { [ins(1)]: 1, [ins(2)]: 0 },
      adoptedInstanceIds: [ins(1), ins(2)],
      owner: OWNER,
    });
    // The program the CLI prints for it: no change.
    const checked = await implementation.check({}, r.inputs);
    expect(checked.failures).toEqual([]);
    expect(await implementation.diff(r.id!, r.props!, checked.inputs)).toEqual({ changes: false });
    expect(await bindingCalls(h.emu)).toHaveLength(0);

    await implementation.delete(r.id!, r.props!);
    const b = await h.bindings();
    expect(b[ins(1)]).toEqual([sg(99)]);
    expect(b[ins(2)]).toEqual([sg(99)]);
  });

  it("refuses an instance that does not hold the group, naming it, and changes nothing", async () => {
    const msg = await errorOf(() =>
      implementation.read(`${sg(1)}@${REGION}:${ins(1)},${ins(3)},ins-zzzz9999`, { owner: OWNER }),
    );
    expect(msg).toContain(`${ins(3)}: does not hold ${sg(1)}`);
    expect(msg).toContain(`ins-zzzz9999: not found in ${REGION}`);
    expect(msg).not.toContain(`${ins(1)}:`);
    expect(await bindingCalls(h.emu)).toHaveLength(0);
  });

  it("refuses a malformed id with the format", async () => {
    for (const id of [`${sg(1)}:${ins(1)}`, `${sg(1)}@${REGION}:`, `sg-1@${REGION}:${ins(1)}`]) {
      const msg = await errorOf(() => implementation.read(id, { owner: OWNER }));
      expect(msg).toContain("<securityGroupId>@<region>:<instanceId>,<instanceId>...");
    }
  });
});
