/** Names of pairs written for a user (discover, config import): readable, safe as file names, unique. */

/** alice@example.com -> alice; letters, digits, ".", "-" and "_" kept, anything else "-". */
export function pairNameOf(user: string): string {
  const local = user.includes('@') ? user.slice(0, user.lastIndexOf('@')) : user;
  return local.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'pair';
}

/** A name given by the user is used as it is, so it must already be safe. */
export function isSafePairName(name: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(name) && name !== '.' && name !== '..';
}

/** `base`, or `base-2`, `base-3`, ... if taken; the result is added to `taken`. */
export function uniquePairName(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}
