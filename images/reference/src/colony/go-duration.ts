// Go's time.ParseDuration, with its error texts, for the query RPCs' `time_range` fields (contract
// observability.md §3.4: "1d" → `time: unknown unit "d" in duration "1d"`).
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Milliseconds; throws an Error whose message is Go's. */
export function parseGoDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${quote(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let total = 0;
  while (s !== "") {
    const num = /^(\d*)(\.(\d*))?/.exec(s)!;
    if (!num[1] && !num[3]) throw invalid();
    s = s.slice(num[0].length);
    let i = 0;
    while (i < s.length && s[i] !== "." && !(s[i]! >= "0" && s[i]! <= "9")) i++;
    const unit = s.slice(0, i);
    s = s.slice(i);
    if (unit === "") throw new Error(`time: missing unit in duration ${quote(text)}`);
    const perUnit = UNIT_MS[unit];
    if (perUnit === undefined) throw new Error(`time: unknown unit ${quote(unit)} in duration ${quote(text)}`);
    total += Number(`${num[1] || "0"}.${num[3] || "0"}`) * perUnit;
  }
  return sign * total;
}
