// Reference `coral-agent`: same binary name, subcommands, flags, env, ports, files, RPCs, log
// milestones and exit codes as Coral v0.3.0's agent (contract connectivity.md §1.3, §4.3, §7.3).
// Fault switches (CORAL_REF_FAULTS) are listed in images/reference/FAULTS.md.
import { FatalError } from "./errors.js";
import { startAgent } from "./start.js";
import { statusCommand } from "./status-command.js";

const USAGE = `Coral agent

Usage:
  coral-agent [command]

Available Commands:
  start       Start the Coral agent
  status      Show agent status
  version     Print version information

Flags:
  -h, --help   help for coral-agent

Use "coral-agent [command] --help" for more information about a command.`;

const START_USAGE = `Start the Coral agent

Usage:
  coral-agent start [flags]

Flags:
  -c, --colony string    Colony ID to connect to (overrides CORAL_COLONY_ID)
      --config string    Path to agent config file (default: ./agent.yaml, then /etc/coral/agent.yaml)
      --daemon           Run as a daemon (no effect)
  -h, --help             help for start
      --monitor-all      Deprecated: monitoring all processes is the default
      --no-monitor-all   Disable monitoring of all processes`;

const STATUS_USAGE = `Show agent status

Usage:
  coral-agent status [flags]

Flags:
  -h, --help            help for status
  -o, --output string   Output format (text, json) (default "text")`;

class UsageError extends Error {}

interface FlagSpec {
  names: string[];
  takesValue: boolean;
}

/** Cobra-style flag parsing: `--flag value`, `--flag=value`, `-c value`. */
function parseFlags(args: string[], specs: FlagSpec[], usage: string): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") {
      console.log(usage);
      process.exit(0);
    }
    if (!arg.startsWith("-")) throw new UsageError(`unknown command "${arg}" for this command`);
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = specs.find((s) => s.names.includes(name));
    if (!spec) throw new UsageError(name.startsWith("--") ? `unknown flag: ${name}` : `unknown shorthand flag: '${name.slice(1)}' in ${arg}`);
    const key = spec.names[0]!;
    if (!spec.takesValue) out.set(key, true);
    else if (eq > 0) out.set(key, arg.slice(eq + 1));
    else {
      const value = args[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: ${name}`);
      out.set(key, value);
    }
  }
  return out;
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "help":
    case "-h":
    case "--help":
      console.log(USAGE);
      return;
    case "version":
      console.log("Coral Agent version dev");
      return;
    case "start": {
      const flags = parseFlags(
        rest,
        [
          { names: ["--config"], takesValue: true },
          { names: ["--colony", "-c"], takesValue: true },
          { names: ["--daemon"], takesValue: false },
          { names: ["--monitor-all"], takesValue: false },
          { names: ["--no-monitor-all"], takesValue: false },
        ],
        START_USAGE,
      );
      const colony = flags.get("--colony");
      await startAgent({
        config: typeof flags.get("--config") === "string" ? (flags.get("--config") as string) : undefined,
        colony: typeof colony === "string" ? colony : undefined,
        monitorAll: flags.has("--no-monitor-all") ? false : undefined,
      });
      return;
    }
    case "status": {
      const flags = parseFlags(rest, [{ names: ["--output", "-o"], takesValue: true }], STATUS_USAGE);
      const output = flags.get("--output");
      await statusCommand(typeof output === "string" ? output : "text");
      process.exit(0);
    }
    // eslint-disable-next-line no-fallthrough
    default:
      throw new UsageError(`unknown command "${command}" for "coral-agent"`);
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`Error: ${err.message}\nRun 'coral-agent --help' for usage.\n`);
  } else {
    process.stderr.write(`Error: ${err instanceof FatalError || err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
