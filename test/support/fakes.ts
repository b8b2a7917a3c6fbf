// A fake system under test for engine, reporter and CLI tests: no Docker, fully scripted.
import { actingCheck } from "../../src/runner/acting-check.js";
import type { CheckModule, CheckSpec, Layer, Phase } from "../../src/runner/check.js";
import { NO_PARTS, type Action, type PartsModel } from "../../src/runner/claims.js";
import type { ContainerEvidence, EnvironmentProvider, RunEnvironment, SetupContext } from "../../src/runner/environment.js";
import { pause } from "../../src/util/time.js";

export class FakeEnv implements RunEnvironment {
  constructor(
    readonly agents = 3,
    readonly capabilities: string[] = ["tun"],
    readonly props: Record<string, string> = { "coral.version": "v0.3.0", "image.colony": "coral-e2e/colony:ref" },
    readonly containers: ContainerEvidence[] = [
      { name: "coral-e2e-abc123-colony", role: "colony", state: "running", logs: "colony line 1\ncolony line 2\n" },
      { name: "coral-e2e-abc123-agent-0", role: "agent-0", state: "exited (1)", logs: "agent boot\nagent crashed\n" },
    ],
  ) {}

  snapshots = 0;
  /** The parts model the fake offers (none unless a test sets one). */
  model?: PartsModel;
  /** A requirement probe that throws, like an eBPF agent that cannot even be created. */
  brokenCapability?: string;
  private readonly acts = new Map<string, Action[]>();

  /** What a check's code does to the fake deployment, recorded under the acting check. */
  act(part: string, kind: Action["kind"], what: string = kind): void {
    const id = actingCheck();
    if (id) this.acts.set(id, [...(this.acts.get(id) ?? []), { part, kind, what }]);
  }

  parts(): PartsModel {
    return this.model ?? NO_PARTS;
  }

  actionsOf(checkId: string): Action[] {
    return this.acts.get(checkId) ?? [];
  }

  properties(): Record<string, string> {
    return this.props;
  }

  missing(requirement: { minAgents?: number; capabilities?: string[] }): string | undefined {
    if (this.brokenCapability && requirement.capabilities?.includes(this.brokenCapability)) {
      throw new Error(`the ${this.brokenCapability} agent could not be created: image not found`);
    }
    if (requirement.minAgents !== undefined && requirement.minAgents > this.agents) {
      return `the run has ${this.agents} agents`;
    }
    const absent = (requirement.capabilities ?? []).filter((c) => !this.capabilities.includes(c));
    return absent.length > 0 ? `${absent.join(", ")} not available on this machine` : undefined;
  }

  async snapshot(): Promise<ContainerEvidence[]> {
    this.snapshots++;
    return this.containers;
  }
}

export interface FakeProviderOptions {
  env?: FakeEnv;
  /** Thrown by setup (every time, or only at the given 1-based attempts). */
  setupError?: Error;
  /** setup waits until aborted. */
  hangInSetup?: boolean;
  onTeardown?: (keep: boolean) => void;
  /** teardown never returns, like a hung Docker daemon (a timer keeps the process alive). */
  hangInTeardown?: boolean;
}

export class FakeProvider implements EnvironmentProvider<FakeEnv> {
  readonly calls: string[] = [];
  setups = 0;
  teardowns: Array<{ keep: boolean }> = [];

  constructor(private readonly options: FakeProviderOptions = {}) {}

  async setup(ctx: SetupContext): Promise<FakeEnv> {
    this.setups++;
    this.calls.push("setup");
    ctx.progress("starting fake colony");
    if (this.options.hangInSetup) await pause(3_600_000, ctx.signal);
    if (this.options.setupError) throw this.options.setupError;
    return this.options.env ?? new FakeEnv();
  }

  async setupEvidence(): Promise<ContainerEvidence[]> {
    this.calls.push("setupEvidence");
    return [{ name: "coral-e2e-abc123-discovery", role: "discovery", state: "exited (2)", logs: "discovery: bind failed\n" }];
  }

  async teardown(_runId: string, options: { keep: boolean }): Promise<void> {
    this.calls.push("teardown");
    this.teardowns.push(options);
    this.options.onTeardown?.(options.keep);
    if (this.options.hangInTeardown) await new Promise(() => setInterval(() => undefined, 1_000));
  }
}

type Run = CheckSpec<FakeEnv>["run"];

export function check(id: string, run: Run, extra: Partial<CheckSpec<FakeEnv>> = {}): CheckSpec<FakeEnv> {
  return { id, title: `title of ${id}`, timeoutMs: 2_000, run, ...extra };
}

export function module(name: string, checks: CheckSpec<FakeEnv>[], phase: Phase = "connectivity", layer?: Layer): CheckModule<FakeEnv> {
  return { name, phase, layer, checks };
}

/** A check body that verifies one true claim. */
export const passing: Run = async (t) => t.verify(true, "the fake holds");

/** A check body whose claim does not hold. */
export const failing: Run = async (t) => t.verify(false, "agents are 3", 2);

/** Blocks until its signal aborts, like a well-behaved check waiting on an RPC. */
export const waitsForAbort: Run = (t) =>
  new Promise<void>((_, reject) => t.signal.addEventListener("abort", () => reject(t.signal.reason), { once: true }));

/** Ignores its signal entirely: only the engine's race can end it. */
export const hangsForever: Run = () => new Promise<void>(() => undefined);
