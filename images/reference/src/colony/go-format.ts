// Values of a DuckDB result as Go's fmt `%v` prints what go-duckdb scans (contract observability.md
// §3.4 ExecuteQuery): `2006-01-02 15:04:05 +0000 UTC` times, shortest floats with Go's exponent rule
// (`1.43473152e+09`), `<nil>`, `[a b]` lists, `map[k:v]` structs.
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBValue,
} from "@duckdb/node-api";

/** strconv.FormatFloat(v, 'g', -1, bits): %e form when the exponent is < -4 or ≥ 6 (fmt's %v). */
export function goFloat(v: number, bits: 32 | 64 = 64): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  let exp = v.toExponential(); // shortest digits that round-trip a float64
  if (bits === 32) {
    for (let p = 1; p <= 9; p++) {
      const candidate = v.toExponential(p - 1);
      if (Math.fround(Number(candidate)) === Math.fround(v)) {
        exp = candidate;
        break;
      }
    }
  }
  const [mantissa, e] = exp.split("e") as [string, string];
  const exponent = Number(e);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return String(Number(exp));
}

/** time.Time.String() of a UTC time given in Unix microseconds (nanosecond digits trimmed). */
export function goTime(micros: bigint, extraNanos = 0n): string {
  let seconds = micros / 1_000_000n;
  if (seconds * 1_000_000n > micros) seconds -= 1n; // floor for times before 1970
  const fractionNs = (micros - seconds * 1_000_000n) * 1000n + extraNanos;
  const iso = new Date(Number(seconds) * 1000).toISOString();
  const fraction = fractionNs ? "." + fractionNs.toString().padStart(9, "0").replace(/0+$/, "") : "";
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction} +0000 UTC`;
}

export function goValue(value: DuckDBValue, typeId?: DuckDBTypeId): string {
  if (value === null || value === undefined) return "<nil>";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (typeId === DuckDBTypeId.DOUBLE) return goFloat(value);
    if (typeId === DuckDBTypeId.FLOAT) return goFloat(value, 32);
    return Number.isInteger(value) ? String(value) : goFloat(value);
  }
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return goTime(value.micros);
  if (value instanceof DuckDBTimestampMillisecondsValue) return goTime(value.millis * 1000n);
  if (value instanceof DuckDBTimestampSecondsValue) return goTime(value.seconds * 1_000_000n);
  if (value instanceof DuckDBTimestampNanosecondsValue) return goTime(value.nanos / 1000n, value.nanos % 1000n);
  if (value instanceof DuckDBDateValue) return goTime(BigInt(value.days) * 86_400_000_000n);
  if (value instanceof DuckDBDecimalValue) return goFloat(value.toDouble());
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return `[${value.items.map((v) => goValue(v)).join(" ")}]`;
  if (value instanceof DuckDBStructValue) {
    const keys = Object.keys(value.entries).sort();
    return `map[${keys.map((k) => `${k}:${goValue(value.entries[k]!)}`).join(" ")}]`;
  }
  if (value instanceof DuckDBMapValue) return `map[${value.entries.map((e) => `${goValue(e.key)}:${goValue(e.value)}`).join(" ")}]`;
  if (value instanceof DuckDBBlobValue) return `[${[...value.bytes].join(" ")}]`;
  return String(value);
}
