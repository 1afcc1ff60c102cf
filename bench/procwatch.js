// Watches the processes of one benchmark run through /proc (Linux only).
// Every process a run starts (CLI, language host, dynamic-provider host)
// inherits env BENCH_RUN_ID=<marker>, which is how we find them, measure the
// dynamic-provider host's peak RSS and, on timeout, kill exactly those.
"use strict";
const fs = require("fs");

const MARKER_VAR = "BENCH_RUN_ID";

function listPids() {
  try {
    return fs
      .readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

function readText(file) {
  try {
    return fs.readFileSync(file, "latin1");
  } catch {
    return null;
  }
}

function hasMarker(pid, marker) {
  const env = readText(`/proc/${pid}/environ`);
  return env !== null && env.split("\0").includes(`${MARKER_VAR}=${marker}`);
}

/** VmHWM (peak resident set) of a process, in kB, or null when it is gone. */
function peakRssKb(pid) {
  const status = readText(`/proc/${pid}/status`);
  if (status === null) return null;
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return m ? parseInt(m[1], 10) : null;
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const CLK_TCK = 100;

/** CPU seconds (user + system) a process has used so far, or null when it is gone. */
function cpuSeconds(pid) {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLK_TCK : null;
}

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
  return listPids().filter((pid) => pid !== process.pid && hasMarker(pid, marker));
}

/** SIGKILLs every live process of the run; returns what it killed ([{pid, cmd}]). */
function killMarked(marker) {
  const killed = [];
  for (const pid of markedPids(marker)) {
    const cmd = (readText(`/proc/${pid}/cmdline`) ?? "").split("\0").join(" ").trim();
    try {
      process.kill(pid, "SIGKILL");
      killed.push({ pid, cmd: cmd.slice(0, 160) });
    } catch {
      /* already gone */
    }
  }
  return killed;
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
    for (const pid of listPids()) {
      if (!this.peaks.has(pid)) {
        // Not cached as "not ours": right after fork a child still shows its
        // parent's command line, and exec changes it.
        const cmd = readText(`/proc/${pid}/cmdline`);
        if (cmd === null || !isProviderHost(cmd, this.match) || !hasMarker(pid, this.marker)) continue;
      }
      const kb = peakRssKb(pid);
      if (kb !== null) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, kb));
      const cpu = cpuSeconds(pid);
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

module.exports = { MARKER_VAR, RssWatcher, killMarked, markedPids, peakRssKb, cpuSeconds };
