// Secrets never reach a report or an artifact. The provider registers the run's secrets (bootstrap
// PSK, tokens) as it creates them; every writer passes its text through maskSecrets, which also
// catches anything shaped like a Coral PSK or a JWT even if nobody registered it.

export const MASK = "***";

const registered = new Set<string>();
const SHAPES: RegExp[] = [
  /coral-psk:[0-9a-fA-F]+/g,
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, // header.payload.signature (signature may be empty: alg none)
];
// Shorter values would mask ordinary words and numbers all over the reports.
const MIN_SECRET_LENGTH = 4;

/** Registers a value to mask everywhere from now on. Empty and very short values are ignored. */
export function registerSecret(value: string | undefined | null): void {
  const trimmed = value?.trim();
  if (trimmed && trimmed.length >= MIN_SECRET_LENGTH) registered.add(trimmed);
}

/** Forgets every registered value (tests, and a process that runs several suites). */
export function clearSecrets(): void {
  registered.clear();
}

export function maskSecrets(text: string): string {
  let masked = text;
  // Longest first, so a secret containing another is masked whole.
  for (const secret of [...registered].sort((a, b) => b.length - a.length)) masked = masked.split(secret).join(MASK);
  for (const shape of SHAPES) masked = masked.replace(shape, MASK);
  return masked;
}

/** maskSecrets over every string (keys included) of JSON-like data. */
export function maskDeep<T>(value: T): T {
  if (typeof value === "string") return maskSecrets(value) as T;
  if (Array.isArray(value)) return value.map((item) => maskDeep(item)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [maskSecrets(k), maskDeep(v)])) as T;
  }
  return value;
}
