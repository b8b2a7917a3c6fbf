// The flags of every command that deploys Coral and reports (`run`, `chaos`): reports, artifacts,
// images, deadlines and the reference images' fault switches. Their meaning is in ../suite-session.ts.
import { type Command, Option } from "commander";
import { parsePositiveNumber, parseRefFaults } from "../options.js";
import { DEFAULT_ARTIFACTS_DIR } from "../suite-session.js";

/** --keep-containers, --junit, --json, --html, --artifacts, --images and the per-role images, --timeout-scale. */
export function addSessionOptions(command: Command): Command {
  return command
    .option("--keep-containers", "leave the deployment running after the run", false)
    .option("--junit <file>", "write a JUnit XML report")
    .option("--json <file>", "write a JSON report")
    .option("--html <file>", "write a self-contained HTML timeline of the run")
    .addOption(new Option("--artifacts <dir>", "folder for evidence and logs").default(DEFAULT_ARTIFACTS_DIR).env("CORAL_E2E_ARTIFACTS"))
    .addOption(new Option("--images <preset>", "image preset for every role").choices(["reference"]))
    .addOption(new Option("--colony-image <ref>", "colony image (overrides --images)").env("CORAL_E2E_COLONY_IMAGE"))
    .addOption(new Option("--agent-image <ref>", "agent image (overrides --images)").env("CORAL_E2E_AGENT_IMAGE"))
    .addOption(new Option("--discovery-image <ref>", "discovery image (overrides --images)").env("CORAL_E2E_DISCOVERY_IMAGE"))
    .option("--timeout-scale <x>", "multiply every deadline by x", parsePositiveNumber, 1);
}

export function refFaultsOption(): Option {
  return new Option("--ref-faults <role=switches>", "reference images only: fault switches for a role, e.g. colony=accept-wrong-colony (repeatable)")
    .argParser(parseRefFaults)
    .default({});
}
