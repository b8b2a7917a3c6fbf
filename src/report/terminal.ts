// Human output. Results and the summary go to stdout, one line per check grouped by module, in
// declared order whatever order checks finish in; progress goes to stderr: an ora spinner on an
// interactive terminal with one line per running check, plain lines otherwise (CI: a line as each
// check starts). A failing check's log and observations are shown under it; with --verbose every
// check's are.
import type { ChalkInstance } from "chalk";
import ora, { type Ora } from "ora";
import type { Reporter } from "../runner/reporter.js";
import type { CheckInfo, CheckResult, Outcome, RunStartInfo, RunSummary } from "../runner/results.js";
import { OUTCOME_LABEL, OUTCOME_SYMBOL as SYMBOL, detailSections, formatCounts, formatDuration, resultName } from "./format.js";
import { maskSecrets } from "./secrets.js";

export interface TerminalOptions {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  chalk: ChalkInstance; // for `out`; see colour.ts
  /** Spinner on `err`: only for an interactive terminal. */
  interactive: boolean;
  verbose?: boolean;
  debug?: boolean;
}

const NOT_RUN = "not run: ";

export class TerminalReporter implements Reporter {
  readonly name = "terminal";
  private readonly spinner?: Ora;
  private nameWidth = 20;
  private repeat = 1;
  private lastGroup?: string;
  private ended = false;
  /** Checks that never started (after setup failure, interrupt, --fail-fast): one line per reason. */
  private notRun: { reason: string; count: number } | undefined;
  /** The checks running now, for the spinner: name → start time and what it was lent. */
  private readonly running = new Map<string, { since: number; lent: string }>();
  private ticker?: NodeJS.Timeout;

  constructor(private readonly options: TerminalOptions) {
    if (options.interactive) {
      this.spinner = ora({ stream: options.err, isEnabled: true, discardStdin: false, hideCursor: false, color: options.chalk.level > 0 ? "cyan" : false });
    }
  }

  onRunStart(info: RunStartInfo): void {
    this.repeat = info.repeat;
    this.nameWidth = Math.max(20, ...info.checks.map((c) => resultName({ id: c.id, repetition: info.repeat }, info.repeat).length));
    const { chalk } = this.options;
    const repeated = info.repeat > 1 ? `, ${info.repeat} repetitions` : "";
    this.print(chalk.bold(`coral-e2e run ${info.runId}`) + chalk.dim(`: ${info.checks.length} checks${repeated}`));
    if (info.artifactsDir) this.print(chalk.dim(`artifacts: ${info.artifactsDir}`));
  }

  onProgress(message: string): void {
    // After the summary only teardown is left: no spinner that could outlive the run.
    if (this.spinner && !this.ended) this.spinner.start(message);
    else this.options.err.write(maskSecrets(`· ${message}\n`));
  }

  onCheckStart(check: CheckInfo, repetition: number, lent?: Record<string, string>): void {
    const name = resultName({ id: check.id, repetition }, this.repeat);
    const on = lent && Object.keys(lent).length > 0 ? ` [${Object.values(lent).join(", ")}]` : "";
    this.running.set(name, { since: Date.now(), lent: on });
    if (this.spinner) this.showRunning();
    else this.options.err.write(`▶ ${name}${on}: ${check.title}\n`);
  }

  /** One spinner line per running check with its age, refreshed every second. */
  private showRunning(): void {
    if (!this.spinner) return;
    if (this.running.size === 0) {
      clearInterval(this.ticker);
      this.ticker = undefined;
      this.spinner.stop();
      return;
    }
    const lines = [...this.running].map(([name, { since, lent }]) => `${name}${lent} ${formatDuration(Date.now() - since)}`);
    const text = this.running.size === 1 ? lines[0]! : `${this.running.size} checks running\n${lines.map((l) => `  ${l}`).join("\n")}`;
    if (this.spinner.isSpinning) this.spinner.text = text;
    else this.spinner.start(text);
    this.ticker ??= setInterval(() => this.showRunning(), 1000).unref();
  }

  onCheckFinish(result: CheckResult): void {
    this.running.delete(resultName(result, this.repeat));
    this.showRunning();
  }

  onCheckEnd(result: CheckResult): void {
    if (result.outcome === "skipped" && result.message?.startsWith(NOT_RUN)) {
      const reason = result.message.slice(NOT_RUN.length);
      if (this.notRun && this.notRun.reason !== reason) this.flushNotRun();
      this.notRun = { reason, count: (this.notRun?.count ?? 0) + 1 };
      return;
    }
    this.flushNotRun();
    this.header(result);
    this.print(this.line(result));
    const showDetail = this.options.verbose || result.outcome === "failed" || result.outcome === "known-defect";
    if (result.message && result.outcome !== "skipped") this.print(`      ${this.colour(result.outcome)(result.message)}`);
    if (showDetail) this.printDetail(result);
  }

  onRunEnd(summary: RunSummary): void {
    this.flushNotRun();
    this.running.clear();
    this.showRunning();
    this.spinner?.stop();
    this.ended = true;
    const { chalk } = this.options;
    const { counts } = summary;
    this.print("");
    this.print(chalk.bold("Summary"));
    const rows: Array<[Outcome, number]> = [
      ["passed", counts.passed],
      ["failed", counts.failed],
      ["skipped", counts.skipped],
      ["known-defect", counts.knownDefect],
      ["fixed", counts.fixed],
    ];
    for (const [outcome, count] of rows) {
      const text = `  ${outcome.padEnd(13)}${String(count).padStart(5)}`;
      this.print(count > 0 ? this.colour(outcome)(text) : chalk.dim(text));
    }
    this.print(`  ${"total".padEnd(13)}${String(counts.total).padStart(5)}   ${formatDuration(summary.durationMs)}`);
    for (const entry of summary.flakiness.filter((f) => f.flaky)) {
      this.print(chalk.yellow(`  flaky: ${entry.id} (${entry.succeeded} passed, ${entry.failed} failed of ${entry.runs})`));
    }
    if (summary.stopReason) this.print(chalk.yellow(`  stopped: ${summary.stopReason}`));
    if (summary.artifactsDir) this.print(chalk.dim(`  artifacts: ${summary.artifactsDir}`));
    const verdict = `${summary.status.toUpperCase()}: ${formatCounts(counts)} in ${formatDuration(summary.durationMs)}`;
    this.print(summary.status === "passed" ? chalk.green.bold(verdict) : chalk.red.bold(verdict));
  }

  private header(result: CheckResult): void {
    const group = `${result.repetition}:${result.classname}`;
    if (group === this.lastGroup) return;
    this.lastGroup = group;
    const repetition = this.repeat > 1 ? ` (repetition ${result.repetition}/${this.repeat})` : "";
    const title = result.phase ? `${result.phase} · ${result.layer === undefined ? "" : `L${result.layer} · `}${result.module}` : result.module;
    this.print("");
    this.print(this.options.chalk.bold(title + repetition));
  }

  private line(result: CheckResult): string {
    const colour = this.colour(result.outcome);
    const name = resultName(result, this.repeat).padEnd(this.nameWidth);
    const status = colour(`${SYMBOL[result.outcome]} ${OUTCOME_LABEL[result.outcome].padEnd(12)}`);
    const time = this.options.chalk.dim(formatDuration(result.durationMs).padStart(8));
    const lent = result.lent ? this.options.chalk.dim(` [${Object.values(result.lent).join(", ")}]`) : "";
    const reason = result.outcome === "skipped" && result.message ? `  ${this.options.chalk.dim(result.message)}` : "";
    return `  ${status} ${name} ${time}${lent}${reason}`;
  }

  private printDetail(result: CheckResult): void {
    const dim = this.options.chalk.dim;
    // The container excerpt belongs in JUnit and the artifacts; on a terminal the folder is enough.
    for (const [title, lines] of detailSections(result, { excerpt: false })) {
      this.print(dim(`      ${title}:`));
      for (const line of lines) this.print(`        ${line}`);
    }
    if (this.options.debug && result.stack) this.print(dim(result.stack.replace(/^/gm, "        ")));
  }

  private flushNotRun(): void {
    if (!this.notRun) return;
    const { count, reason } = this.notRun;
    this.notRun = undefined;
    const status = this.colour("skipped")(`${SYMBOL.skipped} ${OUTCOME_LABEL.skipped.padEnd(12)}`);
    this.print(`  ${status} ${this.options.chalk.dim(`${count} ${count === 1 ? "check" : "checks"} not run: ${reason}`)}`);
  }

  private colour(outcome: Outcome): ChalkInstance {
    const { chalk } = this.options;
    switch (outcome) {
      case "passed":
        return chalk.green;
      case "failed":
        return chalk.red;
      case "skipped":
        return chalk.gray;
      case "known-defect":
        return chalk.yellow;
      case "fixed":
        return chalk.magenta.bold;
    }
  }

  /** A line on stdout; the spinner is cleared first so the two never interleave. */
  private print(text: string): void {
    const spinning = this.spinner?.isSpinning ?? false;
    if (spinning) this.spinner!.clear();
    this.options.out.write(`${maskSecrets(text)}\n`);
    if (spinning) this.spinner!.render();
  }
}
