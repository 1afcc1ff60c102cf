// The real Pulumi engine on this machine: CLI, Node.js language host and the
// dynamic-provider host, with a trivial dynamic resource (no cloud involved).
import { expectOk, summary, TestStack, userProject } from "./harness";

jest.setTimeout(600_000);

describe("real pulumi CLI with a dynamic resource", () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = new TestStack({ projectDir: userProject() });
    await stack.init();
  });
  afterAll(async () => {
    await stack?.cleanup();
  });

  it("previews, creates, sees no changes, updates in place and destroys", async () => {
    await stack.setSpec({ trivial: { count: 3, value: "one" } });

    const preview = expectOk(await stack.preview());
    expect(summary(preview.all)).toMatchObject({ to_create: 4 }); // 3 resources + the stack

    const up = expectOk(await stack.up());
    expect(summary(up.all)).toMatchObject({ created: 4 });
    const outputs = await stack.outputs();
    expect(outputs.trivial).toEqual({ "trivial-0": 3, "trivial-1": 3, "trivial-2": 3 });
    const resources = await stack.resources("Trivial");
    expect(resources.map((r) => r.id).sort()).toEqual(["trivial-one", "trivial-one", "trivial-one"]);
    // The dynamic provider's text is stored with every resource.
    expect(typeof resources[0].outputs.__provider).toBe("string");

    const again = expectOk(await stack.up(["--expect-no-changes"]));
    expect(summary(again.all)).toMatchObject({ unchanged: 4 });

    await stack.setSpec({ trivial: { count: 3, value: "three" } });
    const update = expectOk(await stack.up());
    expect(summary(update.all)).toMatchObject({ updated: 3 });
    expect((await stack.outputs()).trivial["trivial-1"]).toBe(5);

    expectOk(await stack.refresh());

    const destroy = expectOk(await stack.destroy());
    expect(summary(destroy.all)).toMatchObject({ deleted: 4 });
    expect(await stack.resources("Trivial")).toHaveLength(0);
  });
});
