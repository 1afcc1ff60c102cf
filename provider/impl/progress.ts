// Progress lines during long work, e.g. `sg-web00001: 240/1000 bound`, shown
// by `pulumi up`: at most one line per `intervalMs` per (action, group), and
// none for work that ends sooner.
//
// A line reaches the CLI through the engine's Log RPC (engine-log.ts) as an
// ephemeral info message: shown on the stack's row while running, not
// repeated under "Diagnostics".

import { hostSink, type LogSink } from "./engine-log";

export type ProgressKind = "associate" | "disassociate";

const VERB: Record<ProgressKind, string> = { associate: "bound", disassociate: "unbound" };

interface Group {
  done: number;
  total: number;
  shown: string;
  timer: NodeJS.Timeout;
}

/** Counts settled operations per (action, group) and reports them on a timer. */
export class Progress {
  private readonly groups = new Map<string, Group>();
  constructor(private sink: LogSink | null = null) {}

  /** Where lines go (`null`: the default, chosen at the first line). */
  setSink(sink: LogSink | null): void {
    this.sink = sink;
  }

  /**
   * Notes `count` operations of `kind` on `sg` starting; returns what to call
   * as each one settles.
   */
  start(kind: ProgressKind, sg: string, count: number, intervalMs: number): () => void {
    // No work (the flows run empty lists often): no group, whose timer nothing would stop.
    if (count === 0) return () => undefined;
    const key = `${kind}|${sg}`;
    let g = this.groups.get(key);
    if (!g) {
      const timer = setInterval(() => this.tick(key, kind, sg), intervalMs > 0 ? intervalMs : 5_000);
      timer.unref?.();
      g = { done: 0, total: 0, shown: "", timer };
      this.groups.set(key, g);
    }
    g.total += count;
    const group = g;
    return () => {
      group.done++;
      if (group.done >= group.total && this.groups.get(key) === group) {
        clearInterval(group.timer);
        this.groups.delete(key);
      }
    };
  }

  /** Stops every timer and forgets the counts and the sink. For tests. */
  clear(): void {
    for (const g of this.groups.values()) clearInterval(g.timer);
    this.groups.clear();
    this.sink = null;
  }

  private tick(key: string, kind: ProgressKind, sg: string): void {
    const g = this.groups.get(key);
    if (!g) return;
    const line = `${sg}: ${g.done}/${g.total} ${VERB[kind]}`;
    if (line === g.shown) return; // nothing new since the last line
    g.shown = line;
    (this.sink ?? (this.sink = hostSink("info")))(line);
  }
}

/** The provider process's one progress reporter. */
export const progress = new Progress();
