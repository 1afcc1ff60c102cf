// The intent journal on a real temp folder: which entries count as
// interrupted, what `forget` removes, and that a warm journal reads only the
// entries that can matter (it is consulted by every create and delete).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { COMPLETED_GRACE_MS, openJournal } from "../../provider/impl/journal";

const ENDPOINT = "http://127.0.0.1:9/";
const REGION = "ap-guangzhou";
const SG = "sg-00000001";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-journal-"));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ids = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `ins-${(from + i).toString(36).padStart(8, "0")}`);

function rewrite(file: string, change: Record<string, unknown>): void {
  const e = JSON.parse(fs.readFileSync(file, "utf8"));
  fs.writeFileSync(file, JSON.stringify({ ...e, ...change }));
}

describe("journal", () => {
  it("a create in flight is not interrupted; once it returned, its bindings are ours to take back", () => {
    const j = openJournal(dir, ENDPOINT, REGION);
    const [a, b, c] = ids(3);
    const h = j.begin(SG, [a, b])!;
    expect(j.interrupted(SG, [a, b, c]).instanceIds.size).toBe(0);
    j.complete(h);
    const r = j.interrupted(SG, [b, c]);
    expect([...r.instanceIds]).toEqual([b]);
    expect(r.handles).toEqual([h]);
  });

  it("an entry of a dead process is interrupted; other groups, regions and endpoints are not looked at", () => {
    const j = openJournal(dir, ENDPOINT, REGION);
    const [a] = ids(1);
    const h = j.begin(SG, [a])!;
    rewrite(h, { pid: 2 ** 22 + 12345 }); // above pid_max: no such process
    expect([...j.interrupted(SG, [a]).instanceIds]).toEqual([a]);
    expect(j.interrupted("sg-00000002", [a]).instanceIds.size).toBe(0);
    expect(openJournal(dir, ENDPOINT, "ap-shanghai").interrupted(SG, [a]).instanceIds.size).toBe(0);
    expect(openJournal(dir, "http://127.0.0.1:10/", REGION).interrupted(SG, [a]).instanceIds.size).toBe(0);
  });

  it("forget removes unbound instances from interrupted entries, and the entry once empty", () => {
    const j = openJournal(dir, ENDPOINT, REGION);
    const [a, b] = ids(2);
    const h = j.begin(SG, [a, b])!;
    j.complete(h);
    j.forget(SG, [a]);
    expect([...j.interrupted(SG, [a, b]).instanceIds]).toEqual([b]);
    j.forget(SG, [b]);
    expect(fs.existsSync(h)).toBe(false);
    expect(j.interrupted(SG, [a, b]).instanceIds.size).toBe(0);
  });

  it("judges an entry as it is on disk now, not as first read (another process released some of it)", () => {
    const j = openJournal(dir, ENDPOINT, REGION);
    const [a, b] = ids(2);
    const h = j.begin(SG, [a, b])!;
    j.complete(h);
    expect(j.interrupted(SG, [a]).instanceIds.size).toBe(1); // warms the index
    rewrite(h, { instanceIds: [b] });
    expect(j.interrupted(SG, [a]).instanceIds.size).toBe(0);
    expect([...j.interrupted(SG, [a, b]).instanceIds]).toEqual([b]);
  });

  it("finds entries written by another process after the index was warm", () => {
    const j = openJournal(dir, ENDPOINT, REGION);
    const [a, b] = ids(2);
    j.complete(j.begin(SG, [a]));
    j.interrupted(SG, [a]);
    const other = openJournal(dir, ENDPOINT, REGION);
    const h = other.begin(SG, [b])!;
    // Written "by hand" as another process would: a new file name in the folder.
    const copy = path.join(dir, path.basename(h).replace(/-[0-9a-f]+\.json$/, "-0123456789ab.json"));
    fs.renameSync(h, copy);
    rewrite(copy, { completedAt: new Date().toISOString() });
    expect([...j.interrupted(SG, [b]).instanceIds]).toEqual([b]);
  });

  it("drops entries completed longer ago than the grace period", () => {
    const j = openJournal(dir, ENDPOINT, REGION);
    const [a] = ids(1);
    const h = j.begin(SG, [a])!;
    rewrite(h, { completedAt: new Date(Date.now() - COMPLETED_GRACE_MS - 1000).toISOString() });
    expect(j.interrupted(SG, [a]).instanceIds.size).toBe(0);
    expect(fs.existsSync(h)).toBe(false);
  });

  it("with many entries, a warm journal does not read them again (only the candidates)", () => {
    const j = openJournal(dir, ENDPOINT, REGION);
    const all = ids(300);
    const [x] = ids(1, 1000);
    const handles = all.map((id) => j.begin(SG, [id])!);
    for (const h of handles) j.complete(h);
    expect([...j.interrupted(SG, [x]).instanceIds]).toEqual([]);
    // Entries never gain instances; if the journal re-read every entry on each
    // call (n² reads over a deployment), it would now find x everywhere.
    for (const h of handles.slice(1)) rewrite(h, { instanceIds: [x] });
    rewrite(handles[0], { instanceIds: [all[0], x] });
    expect(j.interrupted(SG, [x]).handles).toEqual([]);
    expect(j.interrupted(SG, [all[0]]).handles).toEqual([handles[0]]);
    // ...while a new process (a fresh module) reads them all.
    jest.isolateModules(() => {
      const fresh = require("../../provider/impl/journal") as typeof import("../../provider/impl/journal");
      expect(fresh.openJournal(dir, ENDPOINT, REGION).interrupted(SG, [x]).handles.length).toBe(300);
    });
  });
});
