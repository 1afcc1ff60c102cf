// The intent journal on a real temp folder, with an injected clock, host and
// process table: which entries a create may take back (only its own owner's,
// never a running one's, with no time window), what settle/forget/keep do,
// and what the sweep cleans up.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  journalProblem,
  openJournal,
  processAlive,
  processStarted,
  type JournalOptions,
} from "../../provider/impl/journal";
import { sweep } from "../../provider/impl/journal-sweep";

const ENDPOINT = "http://127.0.0.1:9/";
const REGION = "ap-guangzhou";
const SG = "sg-00000001";
const ONE = "proj/stack-one/web";
const TWO = "proj/stack-two/web";

let dir: string;
let clock: number;
let live: Set<number>;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-journal-"));
  clock = Date.parse("2026-01-01T00:00:00Z");
  live = new Set([100, 200]);
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A journal as process `pid` of host "h1" sees it. */
function journal(pid = 100, extra: JournalOptions = {}) {
  return openJournal(dir, ENDPOINT, REGION, {
    now: () => clock,
    alive: (p) => live.has(p),
    host: "h1",
    pid,
    ...extra,
  });
}

const ids = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `ins-${(from + i).toString(36).padStart(8, "0")}`);
const entry = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));
const taken = (r: { instanceIds: Set<string> }) => [...r.instanceIds].sort();

describe("journal", () => {
  it("an operation in flight is not interrupted; once it returned or its process died, its owner takes it back", () => {
    const [a, b] = ids(2);
    const h = journal().begin(ONE, SG, [b, a])!;
    expect(entry(h)).toMatchObject({ version: 2, owner: ONE, instanceIds: [a, b], pid: 100, host: "h1" });
    expect(entry(h).startedAt).toBe("2026-01-01T00:00:00.000Z");
    expect(taken(journal(200).interrupted(ONE, SG))).toEqual([]);
    live.delete(100);
    expect(taken(journal(200).interrupted(ONE, SG))).toEqual([a, b]);
    live.add(100);
    journal().complete(h);
    expect(taken(journal(200).interrupted(ONE, SG))).toEqual([a, b]);
  });

  it("only the same owner, group, region and cloud: never another stack's, however recent", () => {
    const [a] = ids(1);
    journal().complete(journal().begin(ONE, SG, [a]));
    // Its own owner takes it back: the refusals below are for the key, not an empty journal.
    expect(taken(journal().interrupted(ONE, SG))).toEqual([a]);
    expect(taken(journal().interrupted(TWO, SG))).toEqual([]);
    expect(taken(journal().interrupted("proj/stack-one/db", SG))).toEqual([]);
    expect(taken(journal().interrupted(undefined, SG))).toEqual([]);
    expect(taken(journal().interrupted(ONE, "sg-00000002"))).toEqual([]);
    const opts = { now: () => clock, alive: () => false, host: "h1", pid: 1 };
    expect(taken(openJournal(dir, ENDPOINT, REGION, opts).interrupted(ONE, SG))).toEqual([a]);
    expect(taken(openJournal(dir, ENDPOINT, "ap-shanghai", opts).interrupted(ONE, SG))).toEqual([]);
    expect(taken(openJournal(dir, "http://127.0.0.1:10/", REGION, opts).interrupted(ONE, SG))).toEqual([]);
  });

  it("no time window: a returned operation's entry is still there a year later, until settled", () => {
    const [a, b] = ids(2);
    const h = journal().begin(ONE, SG, [a, b])!;
    journal().complete(h);
    clock += 365 * 24 * 3600 * 1000;
    expect(taken(journal().interrupted(ONE, SG))).toEqual([a, b]);
    // The state holds only a: b may still be an orphan of this owner.
    journal().settle(ONE, SG, [a]);
    expect(fs.existsSync(h)).toBe(true);
    journal().settle(TWO, SG, [a, b]);
    expect(fs.existsSync(h)).toBe(true);
    journal().settle(ONE, SG, [a, b]);
    expect(fs.existsSync(h)).toBe(false);
  });

  it("settle and forget never drop a running operation's entry", () => {
    const [a] = ids(1);
    const h = journal(200).begin(ONE, SG, [a])!;
    journal().settle(ONE, SG, [a]);
    journal().forget(ONE, SG);
    expect(fs.existsSync(h)).toBe(true);
  });

  it("end forgets; keep narrows to what stays; release drops what was taken back", () => {
    const [a, b, c] = ids(3);
    const j = journal();
    const h1 = j.begin(ONE, SG, [a])!;
    j.end(h1);
    expect(fs.existsSync(h1)).toBe(false);
    const h2 = j.begin(ONE, SG, [a, b, c])!;
    j.keep(h2, [b, c]);
    expect(entry(h2).instanceIds).toEqual([b, c]);
    live.delete(100);
    j.release(h2, [b]);
    expect(taken(j.interrupted(ONE, SG))).toEqual([c]);
    j.release(h2, [c]);
    expect(fs.existsSync(h2)).toBe(false);
    const h3 = j.begin(ONE, SG, [a])!;
    j.keep(h3, []);
    expect(fs.existsSync(h3)).toBe(false);
  });

  it("forget drops every entry of the owner's group (its resource was deleted)", () => {
    const [a, b] = ids(2);
    live.delete(100);
    const h1 = journal().begin(ONE, SG, [a])!;
    const h2 = journal().begin(ONE, SG, [b])!;
    const other = journal().begin(TWO, SG, [a])!;
    journal().forget(ONE, SG);
    expect([fs.existsSync(h1), fs.existsSync(h2), fs.existsSync(other)]).toEqual([false, false, true]);
  });

  it("sweep removes temporary files of dead writers and owner-less entries of the old format", () => {
    const [a] = ids(1);
    const write = (name: string, body: unknown) =>
      fs.writeFileSync(path.join(dir, name), JSON.stringify(body));
    write("aaaa-1.json.100.tmp", {});
    write("aaaa-2.json.300.tmp", {});
    write("old-1.json.tmp", {});
    write("old-2.json", { securityGroupId: SG, instanceIds: [a], pid: 300, host: "h1" });
    write("old-3.json", { securityGroupId: SG, instanceIds: [a], pid: 200, host: "h1" });
    write("old-4.json", { securityGroupId: SG, instanceIds: [a], pid: 200, host: "h1", completedAt: "x" });
    const mine = journal(300).begin(ONE, SG, [a])!;
    sweep(dir, "h1", (p) => live.has(p));
    expect(fs.readdirSync(dir).sort()).toEqual(
      ["aaaa-1.json.100.tmp", "old-3.json", path.basename(mine)].sort(),
    );
  });

  it("a folder that cannot be written: begin returns no handle; journalProblem explains", () => {
    const file = path.join(dir, "not-a-folder");
    fs.writeFileSync(file, "");
    const j = openJournal(path.join(file, "journal"), ENDPOINT, REGION, { alive: () => true });
    expect(j.begin(ONE, SG, ids(1))).toBeUndefined();
    expect(journalProblem(path.join(file, "journal"))).toMatch(
      /cannot be written \(ENOTDIR\).*SGATTACH_JOURNAL_DIR or PULUMI_HOME/,
    );
    expect(journalProblem(path.join(dir, "ok"))).toBeUndefined();
    expect(fs.readdirSync(path.join(dir, "ok"))).toEqual([]);
  });

  it("with many owners, a look-up reads only its own owner's entries", () => {
    const all = ids(300);
    live.delete(100);
    const handles = all.map((id, k) => journal().begin(`proj/s/r${k}`, SG, [id])!);
    // Were the other owners' files read, these would now count as r7's.
    for (const h of handles.filter((_, k) => k !== 7))
      fs.writeFileSync(h, JSON.stringify({ ...entry(h), owner: "proj/s/r7" }));
    expect(taken(journal().interrupted("proj/s/r7", SG))).toEqual([all[7]]);
  });
});

describe("journal: records of earlier versions", () => {
  it("a given-away record (what an update gave up; a failed update's state holds that now) is swept", () => {
    const gifts = path.join(dir, "0123456789abcdef01234567.given.json");
    fs.writeFileSync(gifts, JSON.stringify({ version: 2, owner: ONE, gifts: [] }));
    const kept = journal().begin(ONE, SG, ids(1))!;
    sweep(dir, "h1", () => true);
    expect(fs.readdirSync(dir)).toEqual([path.basename(kept)]);
  });
});

describe("journal: a process is told apart from a later one with the same pid", () => {
  it("processAlive checks the start time when it is known", () => {
    const started = processStarted(process.pid);
    expect(started).toMatch(/^\d+$/);
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(process.pid, started)).toBe(true);
    expect(processAlive(process.pid, String(Number(started) + 1))).toBe(false);
  });

  it("an entry whose pid now belongs to another process is interrupted, and its owner takes it back", () => {
    const [a] = ids(1);
    // The real liveness check, as the provider uses it: this process wrote the entry.
    const own = () => openJournal(dir, ENDPOINT, REGION, { host: "h1" });
    const h = own().begin(ONE, SG, [a])!;
    expect(entry(h).pidStarted).toBe(processStarted(process.pid));
    expect(taken(own().interrupted(ONE, SG))).toEqual([]);
    // The same pid, started at another time: the writer is gone.
    fs.writeFileSync(h, JSON.stringify({ ...entry(h), pidStarted: String(Number(entry(h).pidStarted) + 1) }));
    expect(taken(own().interrupted(ONE, SG))).toEqual([a]);
  });
});
