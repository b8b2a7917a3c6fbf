// `coral-colony`: the reference colony CLI, with Coral v0.3.0's command names, flags, output and
// cobra-style errors (contract §1.2, §4.2). Subcommands that the reference does not need
// (export, import, mcp, query, …) are listed but report that they are not implemented.
import { log } from "../common/log.js";
import { CliError } from "./cli-error.js";
import { initColony } from "./init.js";
import { agentsCommand, caStatusCommand, pskShowCommand, statusCommand } from "./inspect-commands.js";
import { startColony } from "./start.js";

const ROOT = "coral-colony";

interface FlagSpec {
  name: string;
  short?: string;
  bool?: boolean;
}

interface Command {
  use: string;
  short: string;
  flags: FlagSpec[];
  args?: number;
  run?: (args: string[], flags: Record<string, string>) => Promise<void>;
  sub?: Record<string, Command>;
}

const colonyFlag: FlagSpec = { name: "colony", short: "c" };
const outputFlag: FlagSpec = { name: "output", short: "o" };

const notImplemented = (name: string) => async () => {
  throw new CliError(`${name} is not implemented by the reference colony`);
};

const commands: Record<string, Command> = {
  init: {
    use: "init <app-name>",
    short: "Initialize a new colony",
    flags: [{ name: "env" }, { name: "storage" }, { name: "discovery" }],
    args: 1,
    run: (args, f) => initColony(args[0]!, { env: f.env, storage: f.storage, discovery: f.discovery }),
  },
  start: {
    use: "start",
    short: "Start the colony",
    flags: [{ name: "colony" }, { name: "port" }, { name: "daemon", bool: true }],
    args: 0,
    run: (_a, f) => startColony({ colony: f.colony }),
  },
  status: { use: "status", short: "Show colony status", flags: [colonyFlag, outputFlag], args: 0, run: (_a, f) => statusCommand({ colony: f.colony, output: f.output }) },
  agents: { use: "agents", short: "List connected agents", flags: [colonyFlag, outputFlag], args: 0, run: (_a, f) => agentsCommand({ colony: f.colony, output: f.output }) },
  ca: {
    use: "ca",
    short: "Manage the colony certificate authority",
    flags: [],
    sub: { status: { use: "status", short: "Show CA status", flags: [colonyFlag], args: 0, run: (_a, f) => caStatusCommand({ colony: f.colony }) } },
  },
  psk: {
    use: "psk",
    short: "Manage the bootstrap PSK",
    flags: [],
    sub: { show: { use: "show", short: "Show the bootstrap PSK", flags: [colonyFlag], args: 0, run: (_a, f) => pskShowCommand({ colony: f.colony }) } },
  },
  version: {
    use: "version",
    short: "Print version information",
    flags: [],
    args: 0,
    run: async () => console.log("Coral Colony version dev"),
  },
};
for (const name of ["stop", "export", "import", "mcp", "service", "token", "query", "duckdb", "debug", "profile"]) {
  commands[name] = { use: name, short: `${name} (not implemented by the reference)`, flags: [], run: notImplemented(name) };
}

function usage(path: string, cmd: Command | undefined): string {
  const subs = cmd ? cmd.sub : commands;
  const lines = [`Usage:\n  ${path}${subs ? " [command]" : ""}${cmd && !subs ? " [flags]" : ""}`];
  if (subs) lines.push("\nAvailable Commands:\n" + Object.entries(subs).map(([n, c]) => `  ${n.padEnd(12)}${c.short}`).join("\n"));
  const flags = [...(cmd?.flags ?? []), { name: "help", short: "h", bool: true }];
  lines.push("\nFlags:\n" + flags.map((f) => `  ${f.short ? `-${f.short}, ` : "    "}--${f.name}`).join("\n"));
  if (subs) lines.push(`\nUse "${path} [command] --help" for more information about a command.`);
  return lines.join("\n");
}

function fail(message: string, usageText?: string): never {
  process.stderr.write(`Error: ${message}\n`);
  if (usageText) process.stderr.write(`${usageText}\n\n`);
  process.exit(1);
}

function parseFlags(path: string, cmd: Command, argv: string[]): { args: string[]; flags: Record<string, string>; help: boolean } {
  const args: string[] = [];
  const flags: Record<string, string> = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      args.push(token);
      continue;
    }
    const long = token.startsWith("--");
    const [rawName, inline] = token.replace(/^--?/, "").split(/=(.*)/s, 2) as [string, string | undefined];
    if (rawName === "help" || (!long && rawName === "h")) {
      help = true;
      continue;
    }
    const spec = cmd.flags.find((f) => (long ? f.name === rawName : f.short === rawName));
    if (!spec) fail(long ? `unknown flag: --${rawName}` : `unknown shorthand flag: '${rawName[0]}' in ${token}`, usage(path, cmd));
    if (spec.bool) flags[spec.name] = inline ?? "true";
    else if (inline !== undefined) flags[spec.name] = inline;
    else if (i + 1 < argv.length) flags[spec.name] = argv[++i]!;
    else fail(`flag needs an argument: ${long ? `--${rawName}` : `'${rawName}' in -${rawName}`}`, usage(path, cmd));
  }
  return { args, flags, help };
}

async function main(argv: string[]): Promise<void> {
  let path = ROOT;
  let cmd: Command | undefined;
  let rest = argv;
  let table = commands;
  while (rest.length && !rest[0]!.startsWith("-")) {
    const next = table[rest[0]!];
    if (!next) {
      if (!cmd || cmd.sub) fail(`unknown command "${rest[0]}" for "${path}"\nRun '${path} --help' for usage.`);
      break;
    }
    cmd = next;
    path += ` ${rest[0]}`;
    rest = rest.slice(1);
    if (!next.sub) break;
    table = next.sub;
  }
  if (!cmd) {
    if (rest.some((a) => a === "-h" || a === "--help") || rest.length === 0) return void console.log(usage(ROOT, undefined));
    fail(`unknown flag: ${rest[0]}`, usage(ROOT, undefined));
  }
  const { args, flags, help } = parseFlags(path, cmd, rest);
  if (help || !cmd.run) return void console.log(`${cmd.short}\n\n${usage(path, cmd)}`);
  if (cmd.args !== undefined && args.length !== cmd.args) {
    fail(cmd.args === 0 ? `unknown command "${args[0]}" for "${path}"` : `accepts ${cmd.args} arg(s), received ${args.length}`, usage(path, cmd));
  }
  try {
    await cmd.run(args, flags);
  } catch (err) {
    if (err instanceof CliError) fail(err.message);
    log.error("Unexpected failure", { error: err });
    fail((err as Error).message);
  }
}

void main(process.argv.slice(2));
