// The check engine. It only sees an EnvironmentProvider (no Docker): per repetition it sets the
// deployment up, runs the planned checks under their deadlines — at the same time where their
// `touches` declarations allow it (scheduler.ts) — holds each check to its declaration, keeps
// evidence of failures, collects the end-of-repetition bundle and tears down. Results reach the
// reporters in declared order. Reports are finished on every exit path (setup failure, --timeout,
// interrupt) before the final teardown, so a second Ctrl-C during teardown cannot lose them.
import { runAs } from "./acting-check.js";
import { CheckFailure, CheckSkipped, type CheckSpec } from "./check.js";
import { NO_PARTS, type PartsModel, resolveClaims, undeclaredActions, withLent } from "./claims.js";
import { CheckRecorder, createCheckContext } from "./context.js";
import { toJsonSafe } from "../util/describe.js";
import type { ContainerEvidence, EnvironmentProvider, RunEnvironment, SetupContext } from "./environment.js";
import { DeadlineError, EnvironmentError, InterruptError, RunTimeoutError, formatSeconds } from "./errors.js";
import { containerSnapshot, discardEvidence, logExcerpt, type EvidenceStore } from "./evidence.js";
import { CORAL_VERSION_PROPERTY, applyKnownDefect, type KnownDefectPolicy } from "./known-defects.js";
import type { Plan, PlannedCheck } from "./plan.js";
import { Scheduler } from "./scheduler.js";
import type { Reporter } from "./reporter.js";
import {
  SETUP_ID,
  countOutcomes,
  flakinessOf,
  isFailing,
  type CheckInfo,
  type CheckResult,
  type ContainerSnapshot,
  type RunStatus,
  type RunSummary,
  type Timeline,
} from "./results.js";
import { pause, withTimeout } from "../util/time.js";

export interface EngineLimits {
  snapshotMs: number; // env.snapshot() / provider.setupEvidence()
  teardownMs: number;
  /** How long a check stopped at its deadline may take to undo its faults before its parts are freed. */
  settleMs: number;
}

export const DEFAULT_LIMITS: EngineLimits = { snapshotMs: 30_000, teardownMs: 120_000, settleMs: 10_000 };

export interface EngineOptions<Env extends RunEnvironment> {
  runId: string;
  plan: Plan<Env>;
  provider: EnvironmentProvider<Env>;
  reporter?: Reporter;
  evidence?: EvidenceStore;
  /** The caller's root signal; abort it with an InterruptError on SIGINT/SIGTERM. */
  signal?: AbortSignal;
  timeoutScale?: number; // default 1
  /** --timeout: the whole run, setup included. */
  runTimeoutMs?: number;
  repeat?: number; // default 1
  /** At most this many checks at once; default: as many as their declarations allow. 1 = declared order, one at a time. */
  concurrency?: number;
  failFast?: boolean;
  keepContainers?: boolean;
  /** --no-known-defects sets honour false; --strict-defects sets strict. */
  knownDefects?: { honour?: boolean; strict?: boolean };
  limits?: Partial<EngineLimits>;
}

/** One check's run: what it is, where, and the members it was lent; `stop` ends it early (--fail-fast, interrupt). */
interface CheckRun<Env> {
  planned: PlannedCheck<Env>;
  env: Env;
  repetition: number;
  lent: Record<string, string>;
  stop: AbortSignal;
  model: PartsModel;
}

/** Runs the plan and returns the summary; never throws for anything a check or the provider does. */
export async function runSuite<Env extends RunEnvironment>(options: EngineOptions<Env>): Promise<RunSummary> {
  return new SuiteRun(options).run();
}

class SuiteRun<Env extends RunEnvironment> {
  private readonly root = new AbortController();
  private readonly reporter: Reporter;
  private readonly evidence: EvidenceStore;
  private readonly limits: EngineLimits;
  private readonly repeat: number;
  private readonly scale: number;
  private readonly results: CheckResult[] = [];
  private properties: Record<string, string> = {};
  private readonly timeline: Timeline = { milestones: [], faults: [] };
  /** Every container at the end of each repetition (or of a failed setup), for the reports. */
  private readonly containers: ContainerSnapshot[] = [];
  private environmentFailed = false;
  private failFastCause?: string;
  private readonly startedAt = Date.now();

  constructor(private readonly options: EngineOptions<Env>) {
    this.reporter = options.reporter ?? { name: "none" };
    this.evidence = options.evidence ?? discardEvidence;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.repeat = Math.max(1, options.repeat ?? 1);
    this.scale = options.timeoutScale ?? 1;
  }

  private get signal(): AbortSignal {
    return this.root.signal;
  }

  async run(): Promise<RunSummary> {
    const { signal: external, runTimeoutMs, runId } = this.options;
    const forward = () => this.root.abort(external?.reason);
    if (external?.aborted) forward();
    external?.addEventListener("abort", forward, { once: true });
    const runTimer =
      runTimeoutMs === undefined ? undefined : setTimeout(() => this.root.abort(new RunTimeoutError(runTimeoutMs)), runTimeoutMs);

    await this.emit(() =>
      this.reporter.onRunStart?.({
        runId,
        startedAt: new Date(this.startedAt).toISOString(),
        repeat: this.repeat,
        checks: this.options.plan.checks.map((c) => c.info),
        artifactsDir: this.evidence.dir,
      }),
    );

    // Setup may leave resources behind even when it fails, so every attempted setup is torn down.
    let deployed = false;
    let summary: RunSummary | undefined;
    try {
      for (let repetition = 1; repetition <= this.repeat; repetition++) {
        if (deployed) {
          await this.teardown();
          deployed = false;
        }
        if (this.signal.aborted || this.failFastCause) break;
        deployed = true;
        const carryOn = await this.runRepetition(repetition);
        if (!carryOn) break;
      }
    } finally {
      clearTimeout(runTimer);
      external?.removeEventListener("abort", forward);
      summary = this.summarize();
      await this.emit(() => this.reporter.onRunEnd?.(summary!));
      if (deployed) await this.teardown();
    }
    return summary;
  }

  /** One deployment and one pass over the plan; false when the run must stop. */
  private async runRepetition(repetition: number): Promise<boolean> {
    const env = await this.setup(repetition);
    if (!env) return false;
    // --fail-fast stops the checks still running, as an interrupt would, and starts no new one.
    const stop = new AbortController();
    const onRootAbort = () => stop.abort(this.signal.reason);
    this.signal.addEventListener("abort", onRootAbort, { once: true });
    const model = safeParts(env);
    const scheduler = new Scheduler<Env>(
      this.options.plan.checks,
      model,
      {
        skipReason: (planned, finished) => {
          const notRun = stop.signal.aborted ? this.stopReason(stop.signal) : undefined;
          return (notRun && `not run: ${notRun}`) || dependencySkip(planned.info, finished);
        },
        skipped: (planned, reason) => skipped(planned.info, repetition, reason),
        run: (planned, lent) => this.runPlanned({ planned, env, repetition, lent, stop: stop.signal, model }),
        emit: (result) => this.record(result),
        finished: (result) => {
          this.emitSync(() => this.reporter.onCheckFinish?.(result));
          if (this.options.failFast && isFailing(result) && !this.failFastCause) {
            this.failFastCause = result.id;
            stop.abort(new Error(`--fail-fast after ${result.id} failed`));
          }
        },
      },
      this.options.concurrency,
    );
    try {
      await scheduler.run();
    } finally {
      this.signal.removeEventListener("abort", onRootAbort);
      this.collectTimeline(env, repetition);
    }
    if (!this.interrupted()) await this.saveBundle(repetition, () => env.snapshot());
    return !this.signal.aborted && !this.failFastCause;
  }

  private collectTimeline(env: Env, repetition: number): void {
    try {
      const seen = env.timeline?.();
      if (!seen) return;
      this.timeline.milestones.push(...seen.milestones.map((m) => ({ ...m, repetition })));
      this.timeline.faults.push(...seen.faults.map((f) => ({ ...f, repetition })));
    } catch {
      // a timeline is evidence, never a reason to lose the run's results
    }
  }

  private async setup(repetition: number): Promise<Env | undefined> {
    const started = Date.now();
    const label = this.repeat > 1 ? ` (repetition ${repetition}/${this.repeat})` : "";
    this.progress(`setting up the deployment${label}`);
    try {
      const env = await untilAborted(
        this.options.provider.setup({ runId: this.options.runId, signal: this.signal, progress: (m) => this.progress(m), wants: wantsOf(this.options.plan) }),
        this.signal,
      );
      if (repetition === 1) this.properties = safeProperties(env);
      return env;
    } catch (error) {
      await this.recordSetupFailure(error, repetition, started);
      return undefined;
    }
  }

  private async recordSetupFailure(error: unknown, repetition: number, started: number): Promise<void> {
    const stop = this.stopReason();
    if (!this.interrupted()) {
      if (error instanceof EnvironmentError) this.environmentFailed = true;
      const during = this.signal.aborted ? `${stop} during setup` : messageOf(error);
      const result: CheckResult = {
        ...blankResult(setupInfo(), repetition, started),
        outcome: "failed",
        failureKind: this.signal.reason instanceof RunTimeoutError ? "run-timeout" : "setup",
        message: `deployment failed: ${during}`,
        stack: error instanceof Error ? error.stack : undefined,
        durationMs: Date.now() - started,
      };
      const containers = await this.bounded(this.options.provider.setupEvidence(this.options.runId), []);
      this.containers.push(...containers.map((c) => containerSnapshot(c, repetition)));
      await this.attachEvidence(result, containers);
      await this.record(result);
    }
    const reason = this.interrupted() ? stop : error instanceof EnvironmentError ? "environment error during setup" : "setup failed";
    for (const { info } of this.options.plan.checks) await this.record(skipped(info, repetition, `not run: ${reason}`));
  }

  private async record(result: CheckResult): Promise<void> {
    this.results.push(result);
    await this.emit(() => this.reporter.onCheckEnd?.(result));
  }

  private async runPlanned(run: CheckRun<Env>): Promise<CheckResult> {
    const { planned: { info, spec }, env, repetition, lent } = run;
    this.emitSync(() => this.reporter.onCheckStart?.(info, repetition, lent));
    const started = Date.now();
    if (spec.requires) {
      const requirement = await requirementCheck(env, spec.requires);
      if (requirement.missing) return { ...skipped(info, repetition, requirement.missing), lent };
      if (requirement.error) {
        // A probe that throws means the deployment is broken, not that a capability is absent.
        const result: CheckResult = { ...blankResult(info, repetition, started), lent, outcome: "failed", failureKind: "error", message: requirement.error, durationMs: Date.now() - started };
        return this.withEvidence(env, result);
      }
    }
    return runAs(info.id, () => this.runCheck(run));
  }

  private async runCheck(run: CheckRun<Env>): Promise<CheckResult> {
    const { planned: { info, spec }, env, repetition, lent, stop, model } = run;
    const started = Date.now();
    const timeoutMs = spec.timeoutMs * this.scale;
    const recorder = new CheckRecorder(started);
    const controller = new AbortController();
    const onStop = () => controller.abort(stop.reason);
    if (stop.aborted) onStop();
    stop.addEventListener("abort", onStop, { once: true });
    const context = createCheckContext({ env, signal: controller.signal, deadline: started + timeoutMs, timeoutScale: this.scale, recorder, lent });

    // The race guarantees the run moves on at the deadline even if the check ignores its signal.
    let timer: NodeJS.Timeout | undefined;
    const stopped = new Promise<never>((_, reject) => {
      timer = setTimeout(() => controller.abort(new DeadlineError(timeoutMs, recorder.describeProgress())), timeoutMs);
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
    });
    const running = Promise.resolve().then(() => spec.run(context));
    running.catch(() => undefined); // a hung check that rejects after the race is settled
    let thrown: { error: unknown } | undefined;
    try {
      await Promise.race([running, stopped]);
    } catch (error) {
      thrown = { error };
      // Let a stopped check undo its faults (its finally blocks) before its parts are lent again.
      const settled = new AbortController();
      await Promise.race([running.then(() => undefined, () => undefined), pause(this.limits.settleMs, settled.signal).catch(() => undefined)]);
      settled.abort();
    } finally {
      clearTimeout(timer);
      stop.removeEventListener("abort", onStop);
    }
    recorder.closeWaits();

    const result: CheckResult = {
      ...blankResult(info, repetition, started),
      durationMs: Date.now() - started,
      lent: Object.keys(lent).length > 0 ? lent : undefined,
      log: recorder.log,
      observations: recorder.observations,
      metrics: recorder.metrics,
      waits: recorder.waits,
    };
    if (thrown && stop.aborted && thrown.error === stop.reason) {
      // Stopped by the run, not by its own doing: no verdict on Coral, no known-defect mapping.
      if (this.interrupted()) return { ...result, outcome: "skipped", message: `${this.stopReason()} after ${formatSeconds(result.durationMs)}` };
      if (!this.signal.aborted) return { ...result, outcome: "skipped", message: `stopped after ${formatSeconds(result.durationMs)}: ${this.stopReason(stop)}` };
      const failureKind = this.signal.reason instanceof RunTimeoutError ? "run-timeout" : "error";
      return this.withEvidence(env, { ...result, outcome: "failed", failureKind, message: `${this.stopReason()} while this check was running ${recorder.describeProgress()}`.trimEnd() });
    }
    const undeclared = undeclaredActions(safeActions(env, info.id), withLent(resolveClaims(spec.touches, model), lent));
    if (undeclared.length > 0) {
      // A runner bug, whatever Coral did: the check's neighbours ran on the strength of its declaration.
      return this.withEvidence(env, { ...result, outcome: "failed", failureKind: "error", message: `the check acted beyond its declaration: ${undeclared.join("; ")}` });
    }
    if (thrown?.error instanceof CheckSkipped) return { ...result, outcome: "skipped", message: thrown.error.reason };
    const verdict = verdictOf(thrown, recorder);
    const policy: KnownDefectPolicy = {
      honour: this.options.knownDefects?.honour ?? true,
      strict: this.options.knownDefects?.strict ?? false,
      coralVersion: this.properties[CORAL_VERSION_PROPERTY],
    };
    const final = { ...result, ...verdict, ...applyKnownDefect(verdict, spec.knownDefect, policy) };
    return final.outcome === "failed" && final.failureKind !== "fixed-defect" ? this.withEvidence(env, final) : final;
  }

  private async withEvidence(env: Env, result: CheckResult): Promise<CheckResult> {
    const containers = await this.bounded(env.snapshot(), []);
    await this.attachEvidence(result, containers);
    return result;
  }

  private async attachEvidence(result: CheckResult, containers: ContainerEvidence[]): Promise<void> {
    const dir = await this.evidence.saveFailure(result, containers).catch(() => undefined);
    result.evidence = { dir, logExcerpt: containers.length > 0 ? logExcerpt(containers) : undefined };
  }

  private async saveBundle(repetition: number, snapshot: () => Promise<ContainerEvidence[]>): Promise<void> {
    this.progress("collecting container logs");
    const containers = await this.bounded(snapshot(), []);
    this.containers.push(...containers.map((c) => containerSnapshot(c, repetition)));
    await this.evidence.saveBundle(repetition, containers).catch(() => undefined);
  }

  private async teardown(): Promise<void> {
    const keep = this.options.keepContainers ?? false;
    this.progress(keep ? "keeping the containers (--keep-containers)" : "removing the run's containers");
    await this.bounded(this.options.provider.teardown(this.options.runId, { keep }), undefined, this.limits.teardownMs);
  }

  private summarize(): RunSummary {
    return {
      runId: this.options.runId,
      status: this.status(),
      stopReason: this.signal.aborted ? this.stopReason() : this.failFastCause && `--fail-fast after ${this.failFastCause} failed`,
      startedAt: new Date(this.startedAt).toISOString(),
      durationMs: Date.now() - this.startedAt,
      repeat: this.repeat,
      properties: this.properties,
      results: this.results,
      counts: countOutcomes(this.results),
      flakiness: this.repeat > 1 ? flakinessOf(this.results) : [],
      artifactsDir: this.evidence.dir,
      timeline: this.timeline,
      containers: this.containers,
    };
  }

  private status(): RunStatus {
    if (this.interrupted()) return "interrupted";
    if (this.environmentFailed) return "environment-error";
    // Any other abort (--timeout, an uncaught error) means the selection did not complete.
    if (this.signal.aborted || this.results.some(isFailing)) return "failed";
    return "passed";
  }

  private interrupted(): boolean {
    return this.signal.aborted && this.signal.reason instanceof InterruptError;
  }

  private stopReason(signal: AbortSignal = this.signal): string {
    const reason = signal.reason;
    return reason instanceof Error ? reason.message : `aborted (${String(reason)})`;
  }

  private progress(message: string): void {
    this.emitSync(() => this.reporter.onProgress?.(message));
  }

  /** A provider call that must neither throw nor hang the run (snapshot, evidence, teardown). */
  private bounded<T>(work: Promise<T>, fallback: T, ms = this.limits.snapshotMs): Promise<T> {
    return withTimeout(work, ms, "provider call").catch(() => fallback);
  }

  private async emit(call: () => void | Promise<void>): Promise<void> {
    try {
      await call();
    } catch {
      // Reporters are isolated by the multiplexer; this guards a bare reporter passed by a caller.
    }
  }

  private emitSync(call: () => void): void {
    try {
      call();
    } catch {
      // as in emit()
    }
  }
}

function verdictOf(thrown: { error: unknown } | undefined, recorder: CheckRecorder): Pick<CheckResult, "outcome" | "failureKind" | "message" | "seen" | "stack"> {
  if (!thrown) {
    if (recorder.verifiedCount > 0) return { outcome: "passed" };
    return {
      outcome: "failed",
      failureKind: "no-assertion",
      message: "the check returned without verifying anything: every check must record a verified observation (verify or waitFor)",
    };
  }
  const { error } = thrown;
  if (error instanceof DeadlineError) return { outcome: "failed", failureKind: "deadline", message: error.message };
  if (error instanceof CheckFailure) return { outcome: "failed", failureKind: "assertion", message: error.message, seen: toJsonSafe(error.seen) };
  return { outcome: "failed", failureKind: "error", message: messageOf(error), stack: error instanceof Error ? error.stack : undefined };
}

function dependencySkip(info: CheckInfo, byId: Map<string, CheckResult>): string | undefined {
  for (const need of info.needs) {
    const result = byId.get(need);
    if (!result) return `needs ${need}, which was not selected`;
    if (result.outcome === "passed" || result.outcome === "fixed" || result.outcome === "known-defect") continue;
    if (result.outcome === "skipped") {
      // A requirement gap is the real reason for the whole chain: carry it (e.g. no CAP_SYS_ADMIN).
      const gap = result.message?.startsWith("requires ") ? ` (${result.message})` : "";
      return `needs ${need}, which was skipped${gap}`;
    }
    return `needs ${need}, which failed`;
  }
  return undefined;
}

/** A requirement is either missing (the check is skipped) or could not be probed (it fails). */
async function requirementCheck(env: RunEnvironment, requires: NonNullable<CheckSpec<unknown>["requires"]>): Promise<{ missing?: string; error?: string }> {
  try {
    const missing = await env.missing(requires);
    return { missing: missing && `requires ${describeRequirements(requires)}: ${missing}` };
  } catch (error) {
    return { error: `could not check requirements (${describeRequirements(requires)}): ${messageOf(error)}` };
  }
}

function describeRequirements(requires: NonNullable<CheckSpec<unknown>["requires"]>): string {
  const parts: string[] = [];
  if (requires.minAgents !== undefined) parts.push(`${requires.minAgents} agents`);
  if (requires.capabilities?.length) parts.push(requires.capabilities.join(", "));
  return parts.join(", ") || "nothing";
}

/** How many planned checks name each part, and every capability they need: what the deployment may prepare up front. */
function wantsOf<Env>(plan: Plan<Env>): NonNullable<SetupContext["wants"]> {
  const parts: Record<string, number> = {};
  const capabilities = new Set<string>();
  for (const { spec } of plan.checks) {
    for (const name of new Set([...(spec.touches?.observes ?? []), ...(spec.touches?.disturbs ?? [])])) parts[name] = (parts[name] ?? 0) + 1;
    for (const capability of spec.requires?.capabilities ?? []) capabilities.add(capability);
  }
  return { parts, capabilities: [...capabilities] };
}

function safeParts(env: RunEnvironment): PartsModel {
  try {
    return env.parts?.() ?? NO_PARTS;
  } catch {
    return NO_PARTS;
  }
}

function safeActions(env: RunEnvironment, checkId: string) {
  try {
    return env.actionsOf?.(checkId) ?? [];
  } catch {
    return [];
  }
}

function safeProperties(env: RunEnvironment): Record<string, string> {
  try {
    return { ...env.properties() };
  } catch {
    return {};
  }
}

function setupInfo(): CheckInfo {
  return { id: SETUP_ID, title: "deploy the system under test", module: SETUP_ID, phase: "connectivity", classname: SETUP_ID, needs: [], timeoutMs: 0 };
}

function blankResult(info: CheckInfo, repetition: number, started: number): CheckResult {
  return {
    id: info.id,
    title: info.title,
    module: info.module,
    phase: info.id === SETUP_ID ? undefined : info.phase,
    layer: info.layer,
    classname: info.classname,
    repetition,
    outcome: "skipped",
    knownDefect: info.knownDefect,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    log: [],
    observations: [],
    metrics: [],
  };
}

function skipped(info: CheckInfo, repetition: number, reason: string): CheckResult {
  return { ...blankResult(info, repetition, Date.now()), outcome: "skipped", message: reason };
}

/** The message, prefixed with the error's class unless it is a plain Error or already worded for users. */
function messageOf(error: unknown): string {
  if (error instanceof EnvironmentError) return error.message;
  if (error instanceof Error) return error.name === "Error" ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}

/** Rejects with the signal's reason as soon as it aborts, whatever `work` does. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
