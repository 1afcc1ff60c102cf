// A create that fails after the API accepted its bind undoes it; where the
// undo fails too, the error names exactly what stays and records it as the
// resource's (partial state), so that any machine finishes it. The journal
// covers a CLI killed before it wrote that state.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PartialStateError } from "../../provider/impl/errors";
import { implementation, resetForTests } from "../../provider/impl/index";
import { create, errorOf, useHarness } from "./helpers";
import { ins, sg } from "./world";
import type { Fault } from "../../emulator";

const h = useHarness();

const OWNER = "proj/stack-one/web";
/** Every Disassociate fails: the undo is impossible. */
const UNDO_FAILS: Fault = {
  kind: "error",
  code: "AuthFailure.TokenFailure",
  action: "DisassociateSecurityGroups",
};

/**
 * Creates, failing the first completion poll (the DescribeInstances after the
 * look-up) with AuthFailure.TokenFailure, and with `faults` in place too.
 */
async function createFailingThePoll(ids: string[], faults: Fault[]) {
  await h.emu.control.addFault({
    kind: "error",
    code: "AuthFailure.TokenFailure",
    action: "DescribeInstances",
    count: 1,
    after: 1,
  });
  for (const f of faults) await h.emu.control.addFault(f);
  const msg = await errorOf(() => create(sg(1), ids, { owner: OWNER }));
  const describes = (await h.emu.control.calls()).filter((c) => c.action === "DescribeInstances");
  expect(describes.map((c) => c.errorCode ?? "OK").slice(0, 2)).toEqual(["OK", "AuthFailure.TokenFailure"]);
  return msg;
}

/** Rewrites this process's journal entries as a dead process's (pid of a process that has exited). */
function endThisProcess(): void {
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  }).stdout;
  const dir = process.env.SGATTACH_JOURNAL_DIR!;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    const e = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
    fs.writeFileSync(path.join(dir, f), JSON.stringify({ ...e, pid: Number(dead) }));
  }
}

it("a fatal poll error: the accepted bind is unbound again", async () => {
  const msg = await createFailingThePoll([ins(1), ins(2)], []);
  expect(msg).toMatch(/AuthFailure\.TokenFailure/);
  expect(msg).toMatch(/\(2 instance\(s\)\) was unbound again.*unbound: ins-00000001, ins-00000002/s);
  await h.emu.control.waitIdle();
  expect((await h.bindings())[ins(1)]).not.toContain(sg(1));
});

/** The partial state a failed create leaves (as the dynamic-provider host passes it: with `__provider`). */
async function partialCreate(ids: string[]) {
  await h.emu.control.addFault({
    kind: "error",
    code: "AuthFailure.TokenFailure",
    action: "DescribeInstances",
    count: 1,
    after: 1,
  });
  await h.emu.control.addFault(UNDO_FAILS);
  const checked = await implementation.check({}, { securityGroupId: sg(1), instanceIds: ids, owner: OWNER });
  let error: any;
  await implementation.create({ ...checked.inputs, __provider: PROVIDER_TEXT }).catch((e) => (error = e));
  await h.emu.control.clearFaults();
  await h.emu.control.waitIdle();
  expect(error).toBeInstanceOf(PartialStateError);
  return error as PartialStateError;
}

const PROVIDER_TEXT = "exports.handler = () => provider; // the serialized provider";

it("undo impossible: the resource is recorded (partial state) holding exactly what stays; its next update finishes it", async () => {
  const e = await partialCreate([ins(3), ins(4)]);
  expect(e.message).toMatch(/UNDO FAILED: these bindings stay: ins-00000003, ins-00000004 hold sg-00000001/);
  expect(e.message).toMatch(/kept in the stack's state: the next pulumi up finishes it \(from any machine\)/);
  expect(e.reasons).toEqual([e.message]);
  expect(e.id).toMatch(/^sg-00000001@ap-guangzhou\//);
  // What the engine records: this resource's own, and the provider text the host needs for later calls.
  expect(e.properties).toEqual({
    securityGroupId: sg(1),
    instanceIds: [ins(3), ins(4)],
    declaredInstanceIds: [ins(3), ins(4)],
    region: "ap-guangzhou",
    adoptExisting: false,
    priorities: {},
    adoptedInstanceIds: [],
    owner: OWNER,
    __provider: PROVIDER_TEXT,
  });
  expect(await errorOf(() => create(sg(1), [ins(3)], { owner: "proj/stack-two/web" }))).toMatch(
    /already bound to sg-00000001: ins-00000003/,
  );
  // The next `up` (any machine: no journal) updates the recorded resource to the program.
  process.env.SGATTACH_JOURNAL_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-journal-"));
  const news = { securityGroupId: sg(1), instanceIds: [ins(3), ins(5)], owner: OWNER };
  const r = await implementation.update(
    e.id,
    e.properties as any,
    (await implementation.check({}, news)).inputs,
  );
  expect(r.outs.instanceIds).toEqual([ins(3), ins(5)]);
  expect(r.outs.adoptedInstanceIds).toEqual([]);
  await implementation.delete(e.id, r.outs);
  await h.emu.control.waitIdle();
  const after = await h.bindings();
  for (const i of [3, 4, 5]) expect(after[ins(i)]).not.toContain(sg(1));
});

it("undo impossible, then the recorded resource deleted: the delete unbinds what stayed", async () => {
  const e = await partialCreate([ins(7)]);
  expect((await h.bindings())[ins(7)]).toContain(sg(1));
  await implementation.delete(e.id, e.properties as any);
  await h.emu.control.waitIdle();
  expect((await h.bindings())[ins(7)]).not.toContain(sg(1));
});

it("undo impossible, and the CLI killed before it wrote the state: the journal lets the same owner take it back", async () => {
  const msg = await createFailingThePoll([ins(3)], [UNDO_FAILS]);
  expect(msg).toMatch(/UNDO FAILED: these bindings stay: ins-00000003 hold sg-00000001/);
  await h.emu.control.clearFaults();
  await h.emu.control.waitIdle();
  expect(await errorOf(() => create(sg(1), [ins(3)], { owner: "proj/stack-two/web" }))).toMatch(
    /already bound to sg-00000001: ins-00000003/,
  );
  // The next `up` is a new provider process: this one's entries are then of a dead one.
  endThisProcess();
  resetForTests();
  const r = await create(sg(1), [ins(3)], { owner: OWNER });
  expect(r.outs.adoptedInstanceIds).toEqual([]);
  expect(r.outs.owner).toBe(OWNER);
});

it("undo impossible and no journal: recorded in the state all the same", async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-nojournal-")), "a-file");
  fs.writeFileSync(file, "");
  process.env.SGATTACH_JOURNAL_DIR = path.join(file, "journal");
  const e = await partialCreate([ins(4)]);
  expect(e.message).toMatch(/UNDO FAILED: these bindings stay: ins-00000004/);
  expect(e.properties.instanceIds).toEqual([ins(4)]);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});
