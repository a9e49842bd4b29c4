/**
 * Replaces a file so that a crash or power cut at any moment leaves either the old text or the new
 * one, never half of it: write a temporary file beside it, fsync it, rename it over the old one,
 * fsync the folder (the rename itself must reach the disk). Asynchronous: an fsync on a busy SD
 * card can take a good part of a second, and the pollers share this thread.
 */
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  // keep the old file's mode (a site file holding secrets may be 0600)
  const mode = await stat(file).then(
    (s) => s.mode & 0o777,
    () => 0o644,
  );
  try {
    const handle = await open(tmp, 'w', mode);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
  await removeOrphans(dir, basename(file));
}

/**
 * A process killed between writing its temporary file and the rename leaves it behind, under its
 * own pid: remove those of processes that are gone (they may hold a copy of the file's secrets).
 */
async function removeOrphans(dir: string, base: string): Promise<void> {
  const prefix = `.${base}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    await rm(join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
