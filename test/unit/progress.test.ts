import { Progress } from "../../provider/impl/progress";

describe("progress lines", () => {
  let lines: string[];
  let progress: Progress;
  beforeEach(() => {
    jest.useFakeTimers();
    lines = [];
    progress = new Progress((line) => lines.push(line));
  });
  afterEach(() => jest.useRealTimers());

  it("reports long work at most once per interval per group, and only what changed", () => {
    const bound = progress.start("associate", "sg-web00001", 1000, 5000);
    for (let i = 0; i < 240; i++) bound();
    jest.advanceTimersByTime(4999);
    expect(lines).toEqual([]); // work shorter than one interval says nothing
    jest.advanceTimersByTime(1);
    expect(lines).toEqual(["sg-web00001: 240/1000 bound"]);
    jest.advanceTimersByTime(5000);
    expect(lines).toHaveLength(1); // nothing settled meanwhile: no repeat
    for (let i = 0; i < 10; i++) bound();
    jest.advanceTimersByTime(5000);
    expect(lines).toEqual(["sg-web00001: 240/1000 bound", "sg-web00001: 250/1000 bound"]);
  });

  it("counts every resource's work on one group together, and ends with the group", () => {
    const a = progress.start("disassociate", "sg-db000001", 2, 1000);
    const b = progress.start("disassociate", "sg-db000001", 3, 1000);
    const other = progress.start("associate", "sg-db000001", 1, 1000);
    a();
    b();
    jest.advanceTimersByTime(1000);
    expect(lines.sort()).toEqual(["sg-db000001: 0/1 bound", "sg-db000001: 2/5 unbound"]);
    a();
    b();
    b();
    other();
    lines = [];
    jest.advanceTimersByTime(10_000);
    expect(lines).toEqual([]); // settled: its timer is gone
    expect(jest.getTimerCount()).toBe(0);
  });

  it("starts no timer and says nothing for no work (an update with nothing to unbind)", () => {
    const settled = progress.start("disassociate", "sg-db000001", 0, 1000);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(lines).toEqual([]);
    settled();
    expect(jest.getTimerCount()).toBe(0);
  });

  it("says nothing outside the dynamic-provider host when no sink is set", () => {
    const quiet = new Progress();
    const write = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const settled = quiet.start("associate", "sg-web00001", 2, 100);
      settled();
      jest.advanceTimersByTime(1000); // ticks with news, but this is not the host
      expect(write).not.toHaveBeenCalled();
      settled();
    } finally {
      write.mockRestore();
    }
  });
});
