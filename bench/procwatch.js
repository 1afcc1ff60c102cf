// Watches the processes of one benchmark run through /proc (Linux only).
// Every process a run starts (CLI, language host, dynamic-provider host)
// inherits env BENCH_RUN_ID=<marker>, which is how we find them, measure the
// dynamic-provider host's peak RSS and, on timeout, kill exactly those.
"use strict";
const proc = require("./proc");

const MARKER_VAR = "BENCH_RUN_ID";

/**
 * `node …/cmd/dynamic-provider/index.js …`, not the launcher's short
 * `node -e "…require.resolve('@pulumi/pulumi/cmd/dynamic-provider')…"`.
 */
function isProviderHost(cmdline, match) {
  const args = cmdline.split("\0");
  return args.includes("-e") ? false : args.some((a) => a.includes(match));
}

/** Pids of live processes that carry the run's marker. */
function markedPids(marker) {
  return proc.markedPids(MARKER_VAR, marker);
}

/** SIGKILLs every live process of the run; returns what it killed ([{pid, cmd}]). */
function killMarked(marker) {
  const targets = markedPids(marker).map((pid) => ({ pid, cmd: proc.cmdline(pid).slice(0, 160) }));
  const reached = new Set(proc.killPids(targets.map((t) => t.pid)));
  return targets.filter((t) => reached.has(t.pid));
}

/**
 * Samples, every `intervalMs`, the VmHWM of each dynamic-provider host
 * (command line contains `cmd/dynamic-provider`) of the run, keeping the
 * maximum per pid. VmHWM is the kernel's own high-water mark, so a sample
 * shortly before exit sees the true peak.
 */
class RssWatcher {
  constructor(marker, { intervalMs = 200, match = "cmd/dynamic-provider" } = {}) {
    this.marker = marker;
    this.intervalMs = intervalMs;
    this.match = match;
    /** pid → peak kB */
    this.peaks = new Map();
    /** pid → CPU seconds at the last sample (a process's last ≤ intervalMs are not seen) */
    this.cpu = new Map();
    this.timer = null;
  }

  sample() {
    for (const pid of proc.listPids()) {
      if (!this.peaks.has(pid)) {
        // Not cached as "not ours": right after fork a child still shows its
        // parent's command line, and exec changes it.
        const cmd = proc.rawCmdline(pid);
        if (cmd === null || !isProviderHost(cmd, this.match) || !proc.hasMarker(pid, MARKER_VAR, this.marker))
          continue;
      }
      const kb = proc.peakRssKb(pid);
      if (kb !== null) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, kb));
      const cpu = proc.cpuSeconds(pid);
      if (cpu !== null) this.cpu.set(pid, Math.max(this.cpu.get(pid) ?? 0, cpu));
    }
  }

  start() {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  /** Stops sampling; returns {peakMb (max over processes) or null, cpuSeconds (sum over processes) or null, processes}. */
  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const values = [...this.peaks.values()];
    const cpu = [...this.cpu.values()];
    return {
      peakMb: values.length ? Math.max(...values) / 1024 : null,
      cpuSeconds: cpu.length ? cpu.reduce((a, b) => a + b, 0) : null,
      processes: values.length,
    };
  }
}

module.exports = { MARKER_VAR, RssWatcher, killMarked };
