// What the runner did to a deployment, and when: each fault a check injects (from injection to heal),
// each part it used or created, and the deployment's milestones. The engine reads a check's acts to
// hold it to its `touches` declaration; the reports draw the faults and milestones on a time axis.
import { actingCheck } from "../runner/acting-check.js";
import type { Action } from "../runner/claims.js";
import type { FaultWindow, Milestone } from "../runner/results.js";

type Window = Omit<FaultWindow, "repetition">;

export class Ledger {
  private readonly actions = new Map<string, Action[]>();
  private readonly windows: Window[] = [];
  private readonly open = new Map<string, Window>();
  private readonly moments: Array<Omit<Milestone, "repetition">> = [];

  /**
   * A fault that lasts until `heal` is called with the same kind and part (stop → start). `use`
   * marks one that only takes from a shared part as any joiner would (a probe registration).
   */
  inject(part: string, kind: string, detail?: string, act: "disturb" | "use" = "disturb"): void {
    this.act({ part, kind: act, what: kind });
    const window: Window = { kind, target: part, checkId: actingCheck(), startedAt: new Date().toISOString(), detail };
    this.windows.push(window);
    this.open.set(key(part, kind, detail), window);
  }

  heal(part: string, kind: string, detail?: string): void {
    const window = this.open.get(key(part, kind, detail));
    if (!window) return;
    window.endedAt = new Date().toISOString();
    this.open.delete(key(part, kind, detail));
  }

  /** A fault that is over when `work` is (a restart, a re-creation, a fake registration). */
  async during<T>(part: string, kind: string, work: () => Promise<T>, detail?: string, act: "disturb" | "use" = "disturb"): Promise<T> {
    this.inject(part, kind, detail, act);
    try {
      return await work();
    } finally {
      this.heal(part, kind, detail);
    }
  }

  /** The acting check used a part (an agent joined through discovery and the address pool). */
  use(part: string, what: string): void {
    this.act({ part, kind: "use", what });
  }

  /** The acting check brought a part into being: its own to disturb. */
  create(part: string): void {
    this.act({ part, kind: "create", what: "create" });
  }

  milestone(name: string): void {
    this.moments.push({ name, at: new Date().toISOString() });
  }

  /** Whether a fault was in force on the part at any time since `sinceMs` (epoch ms). */
  faultedSince(part: string, sinceMs: number): boolean {
    return this.windows.some((w) => w.target === part && (w.endedAt === undefined || Date.parse(w.endedAt) >= sinceMs));
  }

  actionsOf(checkId: string): Action[] {
    return this.actions.get(checkId) ?? [];
  }

  timeline(): { milestones: Array<Omit<Milestone, "repetition">>; faults: Window[] } {
    return { milestones: [...this.moments], faults: this.windows.map((w) => ({ ...w })) };
  }

  private act(action: Action): void {
    const checkId = actingCheck();
    if (checkId === undefined) return; // setup, or a test injecting a fault itself
    const list = this.actions.get(checkId) ?? [];
    list.push(action);
    this.actions.set(checkId, list);
  }
}

function key(part: string, kind: string, detail?: string): string {
  return `${kind}\u0000${part}\u0000${detail ?? ""}`;
}
