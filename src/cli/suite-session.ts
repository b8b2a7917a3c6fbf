// What every command that deploys Coral and runs a plan shares (`run`, `chaos`): the provider from
// the image and deployment flags, the reporters (terminal, JUnit, JSON, the artifacts folder), the
// interrupt handlers, the engine, the environment error line, the notes for --keep-containers, and
// the exit code.
import { join } from "node:path";
import { ArtifactStore } from "../report/artifacts.js";
import { HtmlReporter } from "../report/html.js";
import { JsonReporter } from "../report/json.js";
import { JUnitReporter } from "../report/junit.js";
import { ReporterMultiplexer } from "../report/multiplexer.js";
import { maskSecrets } from "../report/secrets.js";
import { TerminalReporter } from "../report/terminal.js";
import { RUN_LABEL } from "../docker/labels.js";
import { type EngineOptions, runSuite } from "../runner/engine.js";
import type { RunEnvironment } from "../runner/environment.js";
import { InterruptError } from "../runner/errors.js";
import type { Plan } from "../runner/plan.js";
import type { Reporter } from "../runner/reporter.js";
import type { RunSummary } from "../runner/results.js";
import type { CommandIO, ImageChoice } from "./actions.js";
import type { CliDeps, SignalSource } from "./deps.js";
import { EXIT, exitCodeForStatus } from "./exit-codes.js";
import { isInteractive } from "./io.js";
import { handOverOutputs } from "./output-ownership.js";

export const DEFAULT_ARTIFACTS_DIR = "coral-e2e-artifacts";

/** The deployment, image and report flags `run` and `chaos` have in common. */
export interface SessionFlags {
  agents: number;
  images?: "reference";
  colonyImage?: string;
  agentImage?: string;
  discoveryImage?: string;
  timeoutScale: number;
  refFaults: Partial<Record<"discovery" | "colony" | "agent", string>>;
  ebpfPrivileges?: boolean;
  junit?: string;
  json?: string;
  html?: string;
  artifacts: string;
  keepContainers: boolean;
}

export interface SessionOptions<Env extends RunEnvironment> {
  flags: SessionFlags;
  io: CommandIO;
  deps: CliDeps;
  runId: string;
  plan: Plan<Env>;
  /** The engine's options beyond what the flags above decide. */
  engine?: Omit<EngineOptions<Env>, "runId" | "plan" | "provider" | "reporter" | "evidence" | "signal" | "timeoutScale" | "keepContainers">;
  /** Wraps the reporters, e.g. to add a summary of its own to the run's (chaos). */
  wrapReporter?: (reporter: Reporter) => Reporter;
  /** What the first Ctrl-C does, for its notice: "stopping the checks". */
  onInterrupt: string;
}

export async function runSession<Env extends RunEnvironment>(options: SessionOptions<Env>): Promise<number> {
  const { flags, io, deps, runId, plan } = options;
  const provider = deps.createProvider({
    agents: flags.agents,
    images: imageChoice(flags),
    timeoutScale: flags.timeoutScale,
    refFaults: flags.refFaults,
    ebpfPrivileges: flags.ebpfPrivileges,
    verbose: io.verbose,
    debug: io.debug,
  });
  const warn = (message: string) => io.stderr.write(maskSecrets(`warning: ${message}\n`));
  const repeat = options.engine?.repeat ?? 1;
  const artifacts = new ArtifactStore(flags.artifacts, runId, repeat, (error) => warn(`could not write artifacts: ${messageOf(error)}`));
  const reporters = new ReporterMultiplexer(reportersFor(flags, io, deps, artifacts.dir), (name, event, error) =>
    warn(`the ${name} reporter failed (${event}): ${messageOf(error)}`),
  );
  const reporter = options.wrapReporter ? options.wrapReporter(reporters) : reporters;

  const controller = new AbortController();
  const removeHandlers = onInterruptOrCrash(deps.signals, controller, io, deps.exit, `${options.onInterrupt}, writing reports, ${flags.keepContainers ? "keeping" : "removing"} containers`);
  let summary: RunSummary;
  try {
    summary = await runSuite({
      ...options.engine,
      runId,
      plan,
      // The plan's Env is the provider's: the CLI only passes it through.
      provider: provider as never,
      reporter,
      evidence: artifacts,
      signal: controller.signal,
      timeoutScale: flags.timeoutScale,
      keepContainers: flags.keepContainers,
    });
  } finally {
    removeHandlers();
  }
  await handOverOutputs([flags.artifacts, flags.junit, flags.json, flags.html].filter((p): p is string => !!p), warn);
  if (summary.status === "environment-error") {
    const setup = summary.results.find((r) => r.failureKind === "setup");
    io.stderr.write(maskSecrets(`error: ${setup?.message ?? "the environment cannot host a run"}\n`));
  }
  if (flags.keepContainers) {
    const notes = (await provider.keptNotes?.(runId)) ?? [];
    io.stderr.write(
      `containers kept: docker ps --filter label=${RUN_LABEL}=${runId}\n` +
        notes.map((line) => `  ${line}\n`).join("") +
        `logs: docker logs <name>; a shell: docker exec -it <name> sh\n` +
        `remove them with: coral-e2e clean --run-id ${runId}\n`,
    );
  }
  return exitCodeForStatus(summary.status);
}

function reportersFor(flags: SessionFlags, io: CommandIO, deps: CliDeps, artifactsDir: string): Reporter[] {
  const reporters: Reporter[] = [
    new TerminalReporter({ out: io.stdout, err: io.stderr, chalk: io.chalk, interactive: isInteractive(deps), verbose: io.verbose, debug: io.debug }),
    // The artifacts folder always holds every report, so it is complete on its own.
    new JsonReporter(join(artifactsDir, "report.json"), "artifacts-json"),
    new JUnitReporter(join(artifactsDir, "junit.xml")),
    new HtmlReporter(join(artifactsDir, "report.html"), "artifacts-html"),
  ];
  if (flags.junit) reporters.push(new JUnitReporter(flags.junit));
  if (flags.json) reporters.push(new JsonReporter(flags.json));
  if (flags.html) reporters.push(new HtmlReporter(flags.html));
  return reporters;
}

/** --images sets every role; a role's own flag overrides it. Without either: the reference images. */
function imageChoice(flags: SessionFlags): ImageChoice {
  const explicit = { colony: flags.colonyImage, agent: flags.agentImage, discovery: flags.discoveryImage };
  const allExplicit = explicit.colony && explicit.agent && explicit.discovery;
  return { preset: flags.images ?? (allExplicit ? undefined : "reference"), ...explicit };
}

/**
 * First SIGINT/SIGTERM: abort the run (checks stop, reports are written, containers removed unless
 * --keep-containers). A second one: exit at once. An error that escapes a check's promise chain
 * aborts the run the same way instead of killing the process with the containers still up.
 */
function onInterruptOrCrash(signals: SignalSource, controller: AbortController, io: CommandIO, exit: (code: number) => never, notice: string): () => void {
  const onUncaught = (error: unknown) => {
    io.stderr.write(maskSecrets(`error: uncaught error during the run: ${messageOf(error)}\n`));
    if (io.debug && error instanceof Error && error.stack) io.stderr.write(maskSecrets(`${error.stack}\n`));
    if (!controller.signal.aborted) controller.abort(new Error(`run aborted after an uncaught error: ${messageOf(error)}`));
  };
  const handler = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      io.stderr.write(`\n${signal}: ${notice} (again to force exit)\n`);
      controller.abort(new InterruptError(signal));
      return;
    }
    io.stderr.write(`${signal} again: exiting now; \`coral-e2e clean\` removes what is left\n`);
    exit(EXIT.interrupted);
  };
  signals.on("SIGINT", handler);
  signals.on("SIGTERM", handler);
  signals.on("uncaughtException", onUncaught);
  signals.on("unhandledRejection", onUncaught);
  return () => {
    signals.off("SIGINT", handler);
    signals.off("SIGTERM", handler);
    signals.off("uncaughtException", onUncaught);
    signals.off("unhandledRejection", onUncaught);
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
