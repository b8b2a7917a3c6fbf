// Reports are written to a temporary file beside the target and renamed into place, so a reader
// (CI, or a run killed mid-write) sees either the previous file or the complete new one.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export async function writeFileAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, content, "utf8");
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
}
