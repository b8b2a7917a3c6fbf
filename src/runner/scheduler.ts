// Runs one repetition's planned checks at the same time where their `touches` declarations allow it.
// Rules, in order of precedence:
// - a check starts once every check it `needs` has finished;
// - it never overtakes an earlier-declared check it conflicts with (still waiting or running), so
//   for every pair of conflicting checks the run is the declared, sequential order;
// - observers of a part share it, a disturber has it alone; an undeclared check runs alone;
// - a pool claim ("agent") is lent the free member disturbed least so far;
// - final checks run alone after all others; at most `concurrency` checks run at once.
// Results are handed on in declared order, whatever order the checks finish in.
import { type Claims, type PartsModel, conflicts, lend, resolveClaims, withLent } from "./claims.js";
import type { PlannedCheck } from "./plan.js";
import type { CheckResult } from "./results.js";

export interface SchedulerHooks<Env> {
  /** Why the check is not run (a dependency, a stop); checked once its needs have finished. */
  skipReason(planned: PlannedCheck<Env>, finished: Map<string, CheckResult>): string | undefined;
  skipped(planned: PlannedCheck<Env>, reason: string): CheckResult;
  /** Runs the check with the members lent to it; never rejects. */
  run(planned: PlannedCheck<Env>, lent: Record<string, string>): Promise<CheckResult>;
  /** A result, in declared order. */
  emit(result: CheckResult): Promise<void>;
  /** A finished result, as soon as it is known (for --fail-fast). */
  finished?(result: CheckResult): void;
}

interface Entry<Env> {
  index: number;
  planned: PlannedCheck<Env>;
  claims: Claims;
  state: "waiting" | "running" | "done";
  held?: Claims; // concrete claims while running
  result?: CheckResult;
}

export class Scheduler<Env> {
  private readonly entries: Entry<Env>[];
  private readonly finished = new Map<string, CheckResult>();
  private readonly usage = new Map<string, { disturbed: number; lent: number }>();
  private emitted = 0;
  private changed = false;
  private wake?: () => void;

  constructor(
    checks: PlannedCheck<Env>[],
    private readonly model: PartsModel,
    private readonly hooks: SchedulerHooks<Env>,
    private readonly concurrency = Number.POSITIVE_INFINITY,
  ) {
    this.entries = checks.map((planned, index) => ({ index, planned, claims: resolveClaims(planned.spec.touches, model), state: "waiting" }));
  }

  async run(): Promise<void> {
    for (;;) {
      this.changed = false;
      await this.flush(); // what finished is reported before what starts next
      this.startWhatCan();
      await this.flush();
      if (this.entries.every((e) => e.state === "done")) return;
      if (!this.changed) await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  private startWhatCan(): void {
    const running = () => this.entries.filter((e) => e.state === "running");
    const earlier: Claims[] = []; // claims of earlier checks still waiting: not to be overtaken
    for (const entry of this.entries) {
      if (entry.state !== "waiting") continue;
      const blockedBy = [...running().map((e) => e.held!), ...earlier];
      if (!this.ready(entry)) {
        earlier.push(entry.claims);
        continue;
      }
      const reason = this.hooks.skipReason(entry.planned, this.finished);
      if (reason !== undefined) {
        this.complete(entry, this.hooks.skipped(entry.planned, reason));
        continue;
      }
      const final = entry.planned.spec.final === true;
      const othersLeft = this.entries.some((e) => e !== entry && e.state !== "done" && e.planned.spec.final !== true);
      const free = running().length < this.concurrency && !(final && (othersLeft || running().length > 0));
      const lent = free && !blockedBy.some((held) => conflicts(entry.claims, held, this.model)) ? lend(entry.claims, blockedBy, this.model, this.usage) : undefined;
      if (!lent) {
        if (free && blockedBy.length === 0) {
          // Nothing holds anything, yet no member can be lent: the pool is empty (e.g. --agents 0).
          const pools = [...entry.claims.pools.keys()].join(", ");
          this.complete(entry, this.hooks.skipped(entry.planned, `not run: nothing to lend it from ${pools} (the run has no such part)`));
          continue;
        }
        earlier.push(entry.claims);
        continue;
      }
      this.start(entry, lent);
    }
  }

  /** Its needs have finished; a final check also waits for everything else. */
  private ready(entry: Entry<Env>): boolean {
    return entry.planned.info.needs.every((need) => this.finished.has(need) || !this.entries.some((e) => e.planned.info.id === need));
  }

  private start(entry: Entry<Env>, lent: Record<string, string>): void {
    entry.state = "running";
    entry.held = withLent(entry.claims, lent);
    for (const [pool, member] of Object.entries(lent)) {
      const use = this.usage.get(member) ?? { disturbed: 0, lent: 0 };
      use.lent++;
      if (entry.claims.pools.get(pool) === "disturb") use.disturbed++;
      this.usage.set(member, use);
    }
    void this.hooks.run(entry.planned, lent).then((result) => {
      this.complete(entry, result);
      this.wake?.();
    });
  }

  private complete(entry: Entry<Env>, result: CheckResult): void {
    entry.state = "done";
    entry.held = undefined;
    entry.result = result;
    this.changed = true;
    this.finished.set(entry.planned.info.id, result);
    this.hooks.finished?.(result);
  }

  /** Hands on every result whose predecessors are all done. */
  private async flush(): Promise<void> {
    while (this.emitted < this.entries.length && this.entries[this.emitted]!.state === "done") {
      await this.hooks.emit(this.entries[this.emitted]!.result!);
      this.emitted++;
    }
  }
}
