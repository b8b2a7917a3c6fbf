// The run's artifacts folder, `<artifacts>/<runId>/`:
//   failures/<check-id>/        evidence taken when the check failed: one log per container,
//                               containers.json (state), check.json (message, seen, log, observations)
//   logs/                       every container's log at the end of the run (the bundle)
//   report.json                 the JSON report (written by a JsonReporter the CLI points here)
// With --repeat N, failures/<check-id>/run-<n>/ and logs/run-<n>/. Everything is masked.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerEvidence } from "../runner/environment.js";
import type { EvidenceStore } from "../runner/evidence.js";
import type { CheckResult } from "../runner/results.js";
import { maskDeep, maskSecrets } from "./secrets.js";

export class ArtifactStore implements EvidenceStore {
  readonly dir: string;

  constructor(
    baseDir: string,
    runId: string,
    private readonly repeat = 1,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.dir = join(baseDir, runId);
  }

  async saveFailure(result: CheckResult, containers: ContainerEvidence[]): Promise<string | undefined> {
    const relative = join("failures", ...safeSegments(result.id), ...this.repetitionSegment(result.repetition));
    try {
      await this.writeContainers(relative, containers);
      const { log, observations, metrics, message, seen, failureKind, startedAt, durationMs, id, repetition } = result;
      await this.write(join(relative, "check.json"), json({ id, repetition, failureKind, message, seen, startedAt, durationMs, log, observations, metrics }));
      return relative;
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  async saveBundle(repetition: number, containers: ContainerEvidence[]): Promise<void> {
    try {
      await this.writeContainers(join("logs", ...this.repetitionSegment(repetition)), containers);
    } catch (error) {
      this.onError(error);
    }
  }

  private repetitionSegment(repetition: number): string[] {
    return this.repeat > 1 ? [`run-${repetition}`] : [];
  }

  private async writeContainers(relative: string, containers: ContainerEvidence[]): Promise<void> {
    await mkdir(join(this.dir, relative), { recursive: true });
    for (const container of containers) {
      await this.write(join(relative, `${safeName(container.role || container.name)}.log`), container.logs);
    }
    const states = containers.map(({ name, role, state }) => ({ name, role, state }));
    await this.write(join(relative, "containers.json"), json(states));
  }

  private async write(relative: string, content: string): Promise<void> {
    const path = join(this.dir, relative);
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, maskSecrets(content), "utf8");
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(maskDeep(value), null, 2)}\n`;
}

/** Check ids are "<module>/<name>": keep the slash as a folder, never let ".." escape. */
function safeSegments(id: string): string[] {
  return id.split("/").map(safeName);
}

function safeName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, "_");
  return cleaned === "" || /^\.+$/.test(cleaned) ? "_" : cleaned;
}
