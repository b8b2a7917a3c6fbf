// How a check's verdict becomes an outcome when it states a known defect of Coral (issue 6): a
// failure is reported as `known-defect` and does not fail the run; a pass is `fixed`, loudly, and a
// failure under --strict-defects so the suite gets updated when Coral fixes the defect.
import type { KnownDefect } from "./check.js";
import type { CheckResult } from "./results.js";

/** The environment property in which the provider reports the detected Coral version. */
export const CORAL_VERSION_PROPERTY = "coral.version";

export interface KnownDefectPolicy {
  /** false with --no-known-defects: known-defect checks fail and pass like any other. */
  honour: boolean;
  /** --strict-defects: a known-defect check that passes fails the run. */
  strict: boolean;
  /** Detected Coral version ("v0.3.0", "0.2.1", "dev"…); a defect applies from its `since` on. */
  coralVersion?: string;
}

/**
 * Whether the defect can be present in this Coral version. Unknown or unparseable versions (images
 * built without VERSION report "dev") get the benefit of the doubt: the defect applies.
 */
export function defectApplies(defect: KnownDefect, coralVersion: string | undefined): boolean {
  const detected = parseVersion(coralVersion);
  const since = parseVersion(defect.since);
  if (!detected || !since) return true;
  return compareVersions(detected, since) >= 0;
}

type VerdictFields = Pick<CheckResult, "outcome" | "failureKind" | "message" | "knownDefect">;

/**
 * Applies the policy to a check's own verdict (passed, or failed by itself). Refusals (no assertion)
 * stay failures: a check that asserts nothing proves nothing, defect or not.
 */
export function applyKnownDefect(verdict: VerdictFields, defect: KnownDefect | undefined, policy: KnownDefectPolicy): VerdictFields {
  if (!defect || !policy.honour || !defectApplies(defect, policy.coralVersion)) return verdict;
  const label = `${defect.summary} (${defect.ref}, since ${defect.since})`;
  if (verdict.outcome === "failed" && verdict.failureKind !== "no-assertion") {
    return { ...verdict, outcome: "known-defect", knownDefect: defect, message: `known defect: ${label}: ${verdict.message ?? "failed"}` };
  }
  if (verdict.outcome === "passed") {
    const notice = `FIXED: known defect no longer reproduces: ${label}; update the check`;
    return policy.strict
      ? { outcome: "failed", failureKind: "fixed-defect", knownDefect: defect, message: `${notice} (--strict-defects)` }
      : { outcome: "fixed", knownDefect: defect, message: notice };
  }
  return verdict;
}

function parseVersion(text: string | undefined): number[] | undefined {
  const match = text?.trim().match(/^v?(\d+)\.(\d+)(?:\.(\d+))?/);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
