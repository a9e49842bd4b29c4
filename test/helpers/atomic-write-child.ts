/**
 * Child process for the site-file power-cut test: rewrites one file with gateway/live-config's
 * atomic write, over and over, alternating between two texts (whichever the file does not hold
 * now), and prints `wrote <n>` after each. The parent SIGKILLs it at a random moment.
 *
 * Usage: node --import tsx test/helpers/atomic-write-child.ts <file> <text A file> <text B file>
 */
import { readFileSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../../gateway/live-config/atomic-write.js';

const [file, aFile, bFile] = process.argv.slice(2);
if (!file || !aFile || !bFile) throw new Error('usage: atomic-write-child.ts <file> <text A file> <text B file>');
const a = readFileSync(aFile, 'utf8');
const b = readFileSync(bFile, 'utf8');

let n = 0;
for (;;) {
  const now = readFileSync(file, 'utf8');
  await writeFileAtomic(file, now === a ? b : a);
  writeSync(1, `wrote ${++n}\n`);
}
