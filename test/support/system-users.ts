import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Uid/gid of a system account. */
export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

/** Owner of all test mail files: a dedicated account, so nothing is stored as root. */
export const MAIL_USER = 'mailferry-test';

/**
 * Make sure the accounts Dovecot needs exist: `dovecot` (internal processes), `dovenull`
 * (login processes) and {@link MAIL_USER} (mail files). Creates missing ones with useradd,
 * which needs root; tolerates a parallel test worker creating the same account first.
 */
export async function ensureMailUsers(): Promise<SystemUser> {
  for (const name of ['dovecot', 'dovenull', MAIL_USER]) await ensureSystemUser(name);
  return lookupUser(MAIL_USER);
}

/**
 * Make sure the `cyrus` account exists, as Debian's cyrus-common creates it (a system user
 * whose primary group is `mail`): Cyrus's master starts as root and its programs switch to it.
 */
export async function ensureCyrusUser(): Promise<SystemUser> {
  await ensureSystemUser('cyrus', 'mail');
  return lookupUser('cyrus');
}

async function ensureSystemUser(name: string, primaryGroup?: string): Promise<void> {
  const group = primaryGroup === undefined ? [] : ['--gid', primaryGroup];
  for (let attempt = 0; attempt < 20; attempt++) {
    if (await userExists(name)) return;
    try {
      await run('useradd', ['--system', ...group, '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]);
      return;
    } catch {
      // Another worker may hold /etc/passwd.lock or have just created it: re-check shortly.
      await new Promise((r) => setTimeout(r, 50 + attempt * 20));
    }
  }
  if (!(await userExists(name))) throw new Error(`could not create system user ${name} (the test harness needs root)`);
}

async function userExists(name: string): Promise<boolean> {
  try {
    await run('id', ['-u', name]);
    return true;
  } catch {
    return false;
  }
}

async function lookupUser(name: string): Promise<SystemUser> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
