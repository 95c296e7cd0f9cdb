import fs from 'node:fs/promises';

/** Whether `file` exists (any kind), without throwing. */
export async function fileExists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
