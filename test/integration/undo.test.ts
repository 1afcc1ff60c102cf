// A create that fails after the API accepted its bind undoes it; where the
// undo fails too, the error names exactly what stays, and who takes it back
// depends on the journal (the same owner, or adoptExisting without one).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { implementation } from "../../provider/impl/index";
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

it("undo impossible: names what stays; the same owner takes it back, another owner may not", async () => {
  const msg = await createFailingThePoll([ins(3)], [UNDO_FAILS]);
  expect(msg).toMatch(/UNDO FAILED: these bindings stay: ins-00000003 hold sg-00000001/);
  expect(msg).toMatch(/next pulumi up takes them back \(no adoptExisting needed\)/);
  await h.emu.control.clearFaults();
  await h.emu.control.waitIdle();
  expect(await errorOf(() => create(sg(1), [ins(3)], { owner: "proj/stack-two/web" }))).toMatch(
    /already bound to sg-00000001: ins-00000003/,
  );
  // The next `up` is a new provider process: this one's entries are then of a dead one.
  endThisProcess();
  const r = await create(sg(1), [ins(3)], { owner: OWNER });
  expect(r.outs.adoptedInstanceIds).toEqual([]);
  expect(r.outs.owner).toBe(OWNER);
});

it("undo impossible, then the same resource deleted: the delete unbinds what stayed too", async () => {
  const msg = await createFailingThePoll([ins(7)], [UNDO_FAILS]);
  expect(msg).toMatch(/UNDO FAILED: these bindings stay: ins-00000007/);
  await h.emu.control.clearFaults();
  await h.emu.control.waitIdle();
  endThisProcess();
  // The next `up` creates the resource with another instance list; the
  // binding left on ins(7) is still this owner's, recorded in no state.
  const r = await create(sg(1), [ins(8)], { owner: OWNER });
  expect((await h.bindings())[ins(7)]).toContain(sg(1));
  await implementation.delete(r.id, r.outs);
  await h.emu.control.waitIdle();
  const after = await h.bindings();
  expect(after[ins(8)]).not.toContain(sg(1));
  expect(after[ins(7)]).not.toContain(sg(1));
});

it("undo impossible and no journal: the message says why and gives the adoptExisting route", async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-nojournal-")), "a-file");
  fs.writeFileSync(file, "");
  process.env.SGATTACH_JOURNAL_DIR = path.join(file, "journal");
  const msg = await createFailingThePoll([ins(4)], [UNDO_FAILS]);
  expect(msg).toMatch(/UNDO FAILED: these bindings stay: ins-00000004/);
  expect(msg).toMatch(
    /journal could not record them \(cannot write the journal in .*ENOTDIR.*adoptExisting: true/s,
  );
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});
