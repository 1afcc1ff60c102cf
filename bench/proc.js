// Reads /proc (Linux only). A run marks every process it starts with one
// environment variable (NAME=marker), inherited by the CLI, the language host
// and the dynamic-provider host; these functions find those processes and read
// what the benchmark (bench/procwatch.js) and the reliability suites
// (test/reliability/processes.ts) need of them.
"use strict";
const fs = require("fs");

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const CLK_TCK = 100;

function readText(file) {
  try {
    return fs.readFileSync(file, "latin1");
  } catch {
    return null;
  }
}

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

function hasMarker(pid, name, marker) {
  const env = readText(`/proc/${pid}/environ`);
  return env !== null && env.split("\0").includes(`${name}=${marker}`);
}

/** Pids of the processes (this one aside) whose environment holds `name=marker`. */
function markedPids(name, marker) {
  return listPids().filter((pid) => pid !== process.pid && hasMarker(pid, name, marker));
}

/** The raw command line (arguments separated by NUL), or null when the process is gone. */
function rawCmdline(pid) {
  return readText(`/proc/${pid}/cmdline`);
}

/** The command line with its arguments joined by spaces ("" when the process is gone). */
function cmdline(pid) {
  return (rawCmdline(pid) ?? "").split("\0").join(" ").trim();
}

/** The fields of /proc/<pid>/stat after the command name (state first), or null when it is gone. */
function statFields(pid) {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name may hold spaces and parentheses: the fields follow its last ")".
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** {pid, ppid, pgid, state, cmdline} of a process, or null when it is gone. */
function processInfo(pid) {
  const f = statFields(pid);
  if (f === null) return null;
  return { pid, ppid: Number(f[1]), pgid: Number(f[2]), state: f[0], cmdline: cmdline(pid) };
}

/** CPU seconds (user + system) a process has used so far, or null when it is gone. */
function cpuSeconds(pid) {
  const f = statFields(pid);
  if (f === null) return null;
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLK_TCK : null;
}

/** VmHWM (peak resident set) of a process, in kB, or null when it is gone. */
function peakRssKb(pid) {
  const status = readText(`/proc/${pid}/status`);
  if (status === null) return null;
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return m ? parseInt(m[1], 10) : null;
}

/** SIGKILLs each pid; returns those it reached (the others were already gone). */
function killPids(pids) {
  return pids.filter((pid) => {
    try {
      process.kill(pid, "SIGKILL");
      return true;
    } catch {
      return false;
    }
  });
}

module.exports = {
  listPids,
  hasMarker,
  markedPids,
  rawCmdline,
  cmdline,
  processInfo,
  cpuSeconds,
  peakRssKb,
  killPids,
};
