// Fights seen by the implementation against the emulator: another client
// (the official SDK) replaces an instance's groups with
// ModifyInstancesAttribute after each run. The first removal is counted in the
// outputs silently; the second, seen by a refresh or by an update, is
// reported, naming the instance and the operation.
import { warnings } from "../../provider/impl/engine-log";
import { implementation } from "../../provider/impl/index";
import type { AttachmentOutputs } from "../../provider/types";
import { create, useHarness } from "./helpers";
import { ins, REGION, SECRET_ID, SECRET_KEY, sg, TOKEN } from "./world";

const h = useHarness();
const lines: string[] = [];
beforeEach(() => {
  lines.length = 0;
  warnings.setSink((l) => lines.push(l));
});
afterEach(() => warnings.setSink(null));

const OWNER = "proj/dev/app";

function outsideClient(): any {
  const { cvm } = require("tencentcloud-sdk-nodejs-cvm");
  return new cvm.v20170312.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY, token: TOKEN },
    region: REGION,
    profile: { httpProfile: { endpoint: h.emu.url.replace(/^http:\/\//, ""), protocol: "http://" } },
  });
}

/** What a tencentcloud_instance with orderly_security_groups = [base] does. */
async function replaceGroups(id: string): Promise<void> {
  await outsideClient().ModifyInstancesAttribute({ InstanceIds: [id], SecurityGroups: [sg(99)] });
  await h.emu.control.waitIdle();
}

const news = (ids: string[]) => ({
  securityGroupId: sg(1),
  instanceIds: ids,
  region: REGION,
  adoptExisting: false,
  owner: OWNER,
});

async function up(id: string, olds: AttachmentOutputs, ids: string[]): Promise<AttachmentOutputs> {
  return (await implementation.update(id, olds, news(ids))).outs;
}

it("refresh: silent at the first removal, a warning naming the instance and the operation at the second", async () => {
  const r = await create(sg(1), [ins(1), ins(2)], { owner: OWNER });
  await replaceGroups(ins(1));
  const read1 = await implementation.read(r.id, r.outs);
  expect(read1.props).toMatchObject({ instanceIds: [ins(2)], removedOutside: { [ins(1)]: 1 } });
  expect(lines).toEqual([]);
  const outs = await up(r.id, read1.props!, [ins(1), ins(2)]);
  expect(outs.removedOutside).toEqual({ [ins(1)]: 1 });
  expect((await h.bindings())[ins(1)]).toEqual([sg(99), sg(1)]);

  await replaceGroups(ins(1));
  const read2 = await implementation.read(r.id, outs);
  expect(read2.props).toMatchObject({ instanceIds: [ins(2)], removedOutside: { [ins(1)]: 2 } });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^proj\/dev\/app: another manager of ins-00000001's security groups is undoing this resource: the binding of sg-00000001 to ins-00000001 was removed 2 times \(its latest operation is ModifyInstancesAttribute \(request [0-9a-f-]{36}\)\)/,
  );
  expect(lines[0]).toContain("orderly_security_groups");
});

it("update (no refresh in between): counts the removal it finds, binds again, warns at the second", async () => {
  const r = await create(sg(1), [ins(1)], { owner: OWNER });
  await replaceGroups(ins(1));
  // The program changes (ins-2 added): the update meets ins-1 unbound.
  const outs1 = await up(r.id, r.outs, [ins(1), ins(2)]);
  expect(outs1).toMatchObject({ instanceIds: [ins(1), ins(2)], removedOutside: { [ins(1)]: 1 } });
  expect(lines).toEqual([]);
  await replaceGroups(ins(1));
  const outs2 = await up(r.id, outs1, [ins(1), ins(2), ins(3)]);
  expect(outs2.removedOutside).toEqual({ [ins(1)]: 2 });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("another manager of ins-00000001's security groups");
  expect(lines[0]).toContain("ModifyInstancesAttribute");
  expect((await h.bindings())[ins(1)]).toEqual([sg(99), sg(1)]);
  // Taking the instance out of the program drops its count.
  const outs3 = await up(r.id, outs2, [ins(2), ins(3)]);
  expect(outs3).not.toHaveProperty("removedOutside");
});

it("a single-instance attachment keeps its count across the refresh that finds nothing bound", async () => {
  const r = await create(sg(1), [ins(3)], { owner: OWNER });
  await replaceGroups(ins(3));
  const read1 = await implementation.read(r.id, r.outs);
  expect(read1.props).toMatchObject({ instanceIds: [], removedOutside: { [ins(3)]: 1 } });
  // A second refresh: the same (no change, no second count).
  expect(await implementation.read(r.id, read1.props!)).toEqual(read1);
  const outs = await up(r.id, read1.props!, [ins(3)]);
  await replaceGroups(ins(3));
  const read2 = await implementation.read(r.id, outs);
  expect(read2.props).toMatchObject({ instanceIds: [], removedOutside: { [ins(3)]: 2 } });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("ins-00000003");
});
