// What `coral-e2e report` does: read a saved JSON report (report@2, or report@1 without the
// timeline's waits, faults and milestones) and write the HTML page and/or JUnit XML from it, as the
// run would have. A file that cannot be read or is no report this version knows is a usage error.
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../report/atomic-write.js";
import { buildHtmlReport } from "../report/html.js";
import { ReportFormatError, parseJsonReport } from "../report/json.js";
import { buildJUnitXml } from "../report/junit.js";
import { UsageError } from "../runner/errors.js";
import type { RunSummary } from "../runner/results.js";
import type { CommandIO } from "./actions.js";
import type { ReportFlags } from "./commands/report.js";
import { EXIT } from "./exit-codes.js";

export async function reportAction(file: string, flags: ReportFlags, io: CommandIO): Promise<number> {
  const outputs: Array<[path: string | undefined, build: (summary: RunSummary) => string]> = [
    [flags.html, buildHtmlReport],
    [flags.junit, buildJUnitXml],
  ];
  if (!outputs.some(([path]) => path)) throw new UsageError("nothing to write: pass --html FILE and/or --junit FILE");
  const summary = await readReport(file);
  for (const [path, build] of outputs) {
    if (!path) continue;
    await writeFileAtomic(path, build(summary));
    io.stderr.write(`wrote ${path} (run ${summary.runId}, ${summary.status})\n`);
  }
  return EXIT.passed;
}

async function readReport(file: string): Promise<RunSummary> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory, not a file" : (error as Error).message;
    throw new UsageError(`cannot read ${file}: ${reason}`);
  }
  try {
    return parseJsonReport(text);
  } catch (error) {
    if (error instanceof ReportFormatError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
}
