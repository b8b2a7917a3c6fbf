// The one status → exit code table. Codes are never derived from printed text.
import { CommanderError } from "commander";
import { EnvironmentError, InterruptError, UsageError } from "../runner/errors.js";
import type { RunStatus } from "../runner/results.js";

export const EXIT = {
  passed: 0, // every selected check passed (known defects and skips included)
  failed: 1, // a check failed, the deployment failed, the run timed out, or an internal error
  usage: 2, // unknown flag, bad value, unknown check id, empty selection
  environment: 3, // no Docker, missing image, no /dev/net/tun
  interrupted: 130, // SIGINT / SIGTERM: reports written, containers removed
} as const;

export function exitCodeForStatus(status: RunStatus): number {
  switch (status) {
    case "passed":
      return EXIT.passed;
    case "failed":
      return EXIT.failed;
    case "environment-error":
      return EXIT.environment;
    case "interrupted":
      return EXIT.interrupted;
  }
}

export function exitCodeForError(error: unknown): number {
  if (error instanceof CommanderError) return isHelpOrVersion(error) ? EXIT.passed : EXIT.usage;
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof EnvironmentError) return EXIT.environment;
  if (error instanceof InterruptError) return EXIT.interrupted;
  return EXIT.failed;
}

/** --help and --version end parsing through the same error path, but they succeeded. */
export function isHelpOrVersion(error: CommanderError): boolean {
  return error.code === "commander.helpDisplayed" || error.code === "commander.version";
}
