// Observations end up in terminal lines, JUnit and JSON. Values a check hands over (RPC replies,
// errors, bigints, cycles) are frozen into JSON-safe data when recorded, and described compactly.

const MAX_STRING = 4_000;
const MAX_DEPTH = 8;
const MAX_ITEMS = 200;

/** A JSON-safe copy of `value`: errors become {name, message}, bigints strings, cycles "[circular]". */
export function toJsonSafe(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "string") return truncate(value, MAX_STRING);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "undefined") return undefined;
  if (typeof value === "function" || typeof value === "symbol") return String(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { error: value.name, message: truncate(value.message, MAX_STRING), ...(code !== undefined ? { code: toJsonSafe(code) } : {}) };
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  const object = value as object;
  if (seen.has(object)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[…]";
  seen.add(object);
  try {
    if (value instanceof Map) return toJsonSafe(Object.fromEntries(value), depth, seen);
    if (value instanceof Set) return toJsonSafe([...value], depth, seen);
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_ITEMS).map((item) => toJsonSafe(item, depth + 1, seen) ?? null);
      if (value.length > MAX_ITEMS) items.push(`[… ${value.length - MAX_ITEMS} more]`);
      return items;
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) {
      if (key === "$typeName") continue; // protobuf-es bookkeeping, noise in evidence
      const safe = toJsonSafe(item, depth + 1, seen);
      if (safe !== undefined) out[key] = safe;
    }
    return out;
  } finally {
    seen.delete(object);
  }
}

/** One readable line (JSON for data, the message for errors), cut at `max` characters. */
export function describe(value: unknown, max = 500): string {
  if (value instanceof Error) return truncate(`${value.name}: ${value.message}`, max);
  if (typeof value === "string") return truncate(JSON.stringify(value), max);
  if (value === undefined) return "undefined";
  const safe = toJsonSafe(value);
  return truncate(JSON.stringify(safe) ?? String(safe), max);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
