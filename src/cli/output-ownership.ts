// A runner that runs as root — the runner image without `--user` — would leave root-owned reports in
// the folder a user mounted. So, as root, what a run wrote is handed to the owner of the folder it
// was written into (the mounted one), as if that user had written it. Never fails the run.
import { lchown, lstat, readdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/** Each path (a file, or a folder taken with its content) gets the owner of its parent folder. */
export async function handOverOutputs(paths: string[], warn: (message: string) => void, uid = process.getuid?.()): Promise<void> {
  if (uid !== 0) return;
  for (const path of new Set(paths.map((p) => resolve(p)))) {
    try {
      const folder = await stat(dirname(path));
      if (folder.uid === 0 && folder.gid === 0) continue;
      await chownTree(path, folder.uid, folder.gid);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // not written (no such report)
      warn(`could not hand ${path} to the owner of its folder: ${(error as Error).message}`);
    }
  }
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  const info = await lstat(path);
  await lchown(path, uid, gid);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), uid, gid);
}
