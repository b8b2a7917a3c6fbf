// Log lines in the shape Coral's zerolog ConsoleWriter prints (contract connectivity.md §4.3):
// `HH:MM:SS LVL message key=value …`, coloured whether or not stdout is a TTY, as Coral does.
type Level = "TRC" | "DBG" | "INF" | "WRN" | "ERR" | "FTL";

const colour: Record<Level, string> = {
  TRC: "\x1b[35m",
  DBG: "\x1b[33m",
  INF: "\x1b[32m",
  WRN: "\x1b[31m",
  ERR: "\x1b[1m\x1b[31m",
  FTL: "\x1b[1m\x1b[31m",
};

export type Fields = Record<string, unknown>;

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

function write(level: Level, message: string, fields: Fields = {}): void {
  const now = new Date();
  const clock = now.toTimeString().slice(0, 8);
  const pairs = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `\x1b[36m${k}=\x1b[0m${formatValue(v)}`)
    .join(" ");
  process.stdout.write(`\x1b[90m${clock}\x1b[0m ${colour[level]}${level}\x1b[0m ${message}${pairs ? " " + pairs : ""}\n`);
}

export const log = {
  trace: (message: string, fields?: Fields) => write("TRC", message, fields),
  debug: (message: string, fields?: Fields) => write("DBG", message, fields),
  info: (message: string, fields?: Fields) => write("INF", message, fields),
  warn: (message: string, fields?: Fields) => write("WRN", message, fields),
  error: (message: string, fields?: Fields) => write("ERR", message, fields),
  fatal: (message: string, fields?: Fields) => write("FTL", message, fields),
};
