// A create killed midway (CLI and provider SIGKILLed) leaves bindings in the
// cloud that the state does not know. The intent journal lets the next create
// take back exactly those, and nothing else: only a create of the same
// owner (project/stack/resource name) reads an entry.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defaultJournalDir, openJournal } from "../../provider/impl/journal";
import { bindingCalls, create, errorOf, useHarness } from "./helpers";
import { ins, makeSeed, sg } from "./world";

const h = useHarness();

/** A pid that surely belongs to no running process: one that has just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return parseInt(r.stdout, 10);
}

/** Writes the journal entry an interrupted create would have left behind. */
const OWNER = "proj/stack-one/web";

function leaveIntent(securityGroupId: string, instanceIds: string[], pid: number, owner = OWNER): string {
  const journal = openJournal(defaultJournalDir(), h.emu.url, "ap-guangzhou");
  const handle = journal.begin(owner, securityGroupId, instanceIds)!;
  const entry = JSON.parse(fs.readFileSync(handle, "utf8"));
  fs.writeFileSync(handle, JSON.stringify({ ...entry, pid }));
  return handle;
}

describe("recovery of an interrupted create", () => {
  beforeEach(async () => {
    await h.reset(makeSeed({ extra: { [ins(1)]: [sg(99), sg(1)], [ins(2)]: [sg(99), sg(1)] } }));
  });

  it("takes back the bindings of a dead process's create, binds the rest, adopts nothing", async () => {
    const handle = leaveIntent(sg(1), [ins(1), ins(2), ins(3)], deadPid());
    const r = await create(sg(1), [ins(1), ins(2), ins(3)], { owner: OWNER });
    expect(r.outs.instanceIds).toEqual([ins(1), ins(2), ins(3)]);
    expect(r.outs.adoptedInstanceIds).toEqual([]);
    // Only the instance the interrupted run had not reached is bound now.
    expect((await bindingCalls(h.emu)).map((c) => c.instanceIds)).toEqual([[ins(3)]]);
    expect((await h.bindings())[ins(3)]).toEqual([sg(99), sg(1)]);
    // The entry is consumed: a second claim on the same bindings is refused again.
    expect(fs.existsSync(handle)).toBe(false);
  });

  it("still refuses bindings that a live process is creating (two resources, one binding)", async () => {
    const handle = leaveIntent(sg(1), [ins(1), ins(2)], process.pid);
    const msg = await errorOf(() => create(sg(1), [ins(1), ins(2)], { owner: OWNER }));
    expect(msg).toMatch(/already bound to sg-00000001: ins-00000001, ins-00000002/);
    expect(await bindingCalls(h.emu)).toEqual([]);
    fs.rmSync(handle);
  });

  it("does not take back bindings outside the interrupted intent", async () => {
    leaveIntent(sg(1), [ins(1)], deadPid());
    const msg = await errorOf(() => create(sg(1), [ins(1), ins(2)], { owner: OWNER }));
    expect(msg).toMatch(/already bound to sg-00000001: ins-00000002\./);
    expect(msg).toMatch(/adoptExisting: true/);
    expect(await bindingCalls(h.emu)).toEqual([]);
  });

  it("never takes back another owner's bindings (another stack, or another resource)", async () => {
    const handle = leaveIntent(sg(1), [ins(1), ins(2)], deadPid(), "proj/stack-two/web");
    for (const owner of [OWNER, "proj/stack-two/db", undefined]) {
      const msg = await errorOf(() => create(sg(1), [ins(1), ins(2)], owner ? { owner } : {}));
      expect(msg).toMatch(/already bound to sg-00000001: ins-00000001, ins-00000002\./);
    }
    expect(await bindingCalls(h.emu)).toEqual([]);
    expect(fs.existsSync(handle)).toBe(true);
  });

  it("marks its intent completed after a create succeeds, removes it when undone", async () => {
    const intentsFor = (group: string) => {
      const dir = defaultJournalDir();
      const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
      return files.filter(
        (f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")).securityGroupId === group,
      );
    };
    await create(sg(2), [ins(3), ins(4)], { owner: OWNER });
    // Kept (completed) until a later operation shows the state holds the resource.
    const kept = intentsFor(sg(2));
    expect(kept).toHaveLength(1);
    const dir = defaultJournalDir();
    expect(JSON.parse(fs.readFileSync(path.join(dir, kept[0]), "utf8")).completedAt).toEqual(
      expect.any(String),
    );
    await h.emu.control.addFault({ kind: "operationFailure", action: "AssociateSecurityGroups", count: 1 });
    await errorOf(() => create(sg(3), [ins(3), ins(4)], { owner: OWNER }));
    expect(intentsFor(sg(3))).toEqual([]);
    expect((await h.bindings())[ins(3)]).toEqual([sg(99), sg(2)]); // the failed create left no sg(3)
  });

  it("defaults to PULUMI_HOME, never the working directory", () => {
    expect(defaultJournalDir({ PULUMI_HOME: "/x/home" })).toBe(
      path.join("/x/home", "tencentcloud-sg-attachment", "journal"),
    );
    expect(defaultJournalDir({})).toBe(
      path.join(os.homedir(), ".pulumi", "tencentcloud-sg-attachment", "journal"),
    );
  });
});
