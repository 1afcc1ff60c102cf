// resetForTests leaves no module state behind: the journal sweeps a folder
// again, and progress timers of unfinished work stop.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resetForTests } from "../../provider/impl/index";
import { openJournal } from "../../provider/impl/journal";
import { progress } from "../../provider/impl/progress";

afterEach(() => {
  jest.useRealTimers();
  resetForTests();
});

it("makes the next journal open sweep its folder again", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sgattach-reset-"));
  try {
    // A temporary file of the earlier format: any sweep removes it.
    const leftover = path.join(dir, "old-entry.json.tmp");
    const open = () => openJournal(dir, "http://127.0.0.1:9/", "ap-guangzhou", { host: "h1", pid: 1 });
    resetForTests();
    fs.writeFileSync(leftover, "");
    open();
    expect(fs.existsSync(leftover)).toBe(false);
    fs.writeFileSync(leftover, "");
    open();
    expect(fs.existsSync(leftover)).toBe(true); // one sweep per folder and process
    resetForTests();
    open();
    expect(fs.existsSync(leftover)).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it("stops the progress timers of unfinished work", async () => {
  jest.useFakeTimers();
  const lines: string[] = [];
  progress.setSink((l) => lines.push(l));
  progress.start("associate", "sg-00000001", 2, 1000);
  await jest.advanceTimersByTimeAsync(1000);
  expect(lines).toEqual(["sg-00000001: 0/2 bound"]);
  resetForTests();
  expect(jest.getTimerCount()).toBe(0);
  // A new count starts from zero.
  progress.setSink((l) => lines.push(l));
  const done = progress.start("associate", "sg-00000001", 1, 1000);
  await jest.advanceTimersByTimeAsync(1000);
  expect(lines).toEqual(["sg-00000001: 0/2 bound", "sg-00000001: 0/1 bound"]);
  done();
  expect(jest.getTimerCount()).toBe(0);
});
