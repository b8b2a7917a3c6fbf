// The fixture apps coral-e2e builds (contract observability.md §6): one directory per app under
// images/fixtures/<name>/ (a Go module whose binary is named <name>, plus its Dockerfile), built by
// `coral-e2e images` into the tag below. The one place that lists fixture tags: the runner and the
// checks reference them from here.
import { IMAGE_REPO } from "./repo.js";

/** Tag scheme: coral-e2e/fixture-<name>:dev. */
export function fixtureTag(name: string): string {
  return `${IMAGE_REPO}/fixture-${name}:dev`;
}

export const FIXTURE_NAMES = ["otel-app", "cpu-app", "sdk-app"] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

/** Fixture name → image tag, e.g. FIXTURE_IMAGES["otel-app"] = "coral-e2e/fixture-otel-app:dev". */
export const FIXTURE_IMAGES: Record<FixtureName, string> = Object.fromEntries(FIXTURE_NAMES.map((n) => [n, fixtureTag(n)])) as Record<FixtureName, string>;

/** Where a fixture's binary lives inside its image (binary name = service name, contract §6.1/§6.2). */
export function fixtureBinary(name: FixtureName): string {
  return `/app/${name}`;
}
