// The journal's record of instances a resource gave up (gifts) on a real temp
// folder, and the pure rule that says which of them are no longer its own.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { InstanceView } from "../../provider/impl/api";
import { openJournal } from "../../provider/impl/journal";
import { givenAway } from "../../provider/impl/ownership";

const ENDPOINT = "http://127.0.0.1:9/";
const REGION = "ap-guangzhou";
const SG = "sg-00000001";
const ONE = "proj/stack-one/web";
const TWO = "proj/stack-two/web";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-gifts-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const journal = () => openJournal(dir, ENDPOINT, REGION, { alive: () => false, host: "h1", pid: 100 });
const ids = (g: { instanceId: string }[]) => g.map((x) => x.instanceId).sort();

function view(id: string, sgs: string[], requestId: string): InstanceView {
  return {
    instanceId: id,
    state: "RUNNING",
    securityGroupIds: sgs,
    latestOperation: "AssociateSecurityGroups",
    latestOperationState: "SUCCESS",
    latestOperationRequestId: requestId,
    latestOperationErrorMsg: "",
  };
}

describe("journal gifts", () => {
  it("are kept per owner and group, replaced per instance, dropped by ungive and forget", () => {
    expect(journal().give(ONE, SG, [{ instanceId: "ins-2", stillOurs: ["req-1"] }])).toBe(true);
    journal().give(ONE, SG, [
      { instanceId: "ins-2", stillOurs: [] },
      { instanceId: "ins-3", stillOurs: [] },
    ]);
    expect(journal().gifts(ONE, SG)).toEqual([
      { instanceId: "ins-2", stillOurs: [] },
      { instanceId: "ins-3", stillOurs: [] },
    ]);
    // Nobody else sees them: another stack, another group, another region, no owner.
    expect(journal().gifts(TWO, SG)).toEqual([]);
    expect(journal().gifts(ONE, "sg-00000002")).toEqual([]);
    expect(openJournal(dir, ENDPOINT, "ap-shanghai").gifts(ONE, SG)).toEqual([]);
    expect(journal().gifts(undefined, SG)).toEqual([]);
    // They are no create's to take back.
    expect([...journal().interrupted(ONE, SG).instanceIds]).toEqual([]);

    journal().ungive(ONE, SG, ["ins-3"]);
    expect(ids(journal().gifts(ONE, SG))).toEqual(["ins-2"]);
    journal().ungive(ONE, SG, ["ins-2"]);
    expect(fs.readdirSync(dir)).toEqual([]);

    journal().give(ONE, SG, [{ instanceId: "ins-4", stillOurs: [] }]);
    journal().forget(ONE, SG);
    expect(journal().gifts(ONE, SG)).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("an unwritable folder: give says so, and the journal names the problem", () => {
    const file = path.join(dir, "not-a-folder");
    fs.writeFileSync(file, "");
    const j = openJournal(file, ENDPOINT, REGION);
    expect(j.give(ONE, SG, [{ instanceId: "ins-2", stillOurs: [] }])).toBe(false);
    expect(j.problem).toMatch(/cannot write the journal/);
    expect(j.gifts(ONE, SG)).toEqual([]);
  });
});

describe("givenAway: which gifts are no longer the giver's", () => {
  it("a binding someone made since (another request id), or none, is not; one unbind never touched still is", () => {
    const gifts = [
      { instanceId: "taken", stillOurs: ["req-ours"] },
      { instanceId: "untouched", stillOurs: ["req-ours"] },
      { instanceId: "failed-unbind", stillOurs: ["req-ours", "req-unbind"] },
      { instanceId: "unbound", stillOurs: [] },
      { instanceId: "handed-over", stillOurs: [] },
      { instanceId: "gone", stillOurs: ["req-ours"] },
      { instanceId: "other-group", stillOurs: ["req-ours"] },
    ];
    const views = new Map<string, InstanceView | null>([
      ["taken", view("taken", [SG], "req-taker")],
      ["untouched", view("untouched", [SG], "req-ours")],
      ["failed-unbind", view("failed-unbind", [SG], "req-unbind")],
      ["unbound", view("unbound", [], "req-unbind")],
      ["handed-over", view("handed-over", [SG], "req-ours")],
      ["gone", null],
      ["other-group", view("other-group", ["sg-00000002"], "req-ours")],
    ]);
    expect([...givenAway(SG, gifts, views)].sort()).toEqual([
      "gone",
      "handed-over",
      "other-group",
      "taken",
      "unbound",
    ]);
  });
});
