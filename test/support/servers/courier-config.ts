/**
 * The Courier config files of one private instance: Debian's shipped files (from the unpacked
 * courier-imap, courier-pop and courier-authdaemon packages), with only the listen address,
 * ports and the authentication module changed.
 *
 * Each change replaces one exact shipped line; a line that is missing (a new package version
 * changed it) throws, so the harness never silently runs a config nobody reviewed.
 */

/** One exact-line replacement in a shipped file. */
interface LineEdit {
  from: string;
  to: string;
}

/** Inputs for {@link courierConfigFiles}. */
export interface CourierConfigInput {
  imapPort: number;
  pop3Port: number;
}

/** The files copied from the package's /etc/courier, by name. */
export const SHIPPED_CONFIG_FILES = ['imapd', 'imapd-ssl', 'pop3d', 'pop3d-ssl', 'authdaemonrc'] as const;
export type ShippedConfigFile = (typeof SHIPPED_CONFIG_FILES)[number];

/**
 * Why each edit:
 * - imapd/pop3d `ADDRESS=0` (all interfaces) and the standard ports: tests listen on
 *   127.0.0.1 and free ports only.
 * - authdaemonrc `authmodulelist="authpam"`: PAM would authenticate system accounts; test
 *   users live in a private userdb (authuserdb, shipped by courier-authlib-userdb, is the
 *   first module of Debian's own `authmodulelistorig`).
 * Everything else (the `INBOX.` namespace, IMAP_CAPABILITY, POP3's LOGIN-DELAY, MAXPERIP=4
 * for POP3, IMAP_ULIMITD, STARTTLS offered but not required, ...) stays as Debian ships it.
 */
export function courierConfigEdits(input: CourierConfigInput): Record<ShippedConfigFile, LineEdit[]> {
  return {
    imapd: [
      { from: 'ADDRESS=0', to: 'ADDRESS=127.0.0.1' },
      { from: 'PORT=143', to: `PORT=${input.imapPort}` },
    ],
    'imapd-ssl': [],
    pop3d: [
      { from: 'ADDRESS=0', to: 'ADDRESS=127.0.0.1' },
      { from: 'PORT=110', to: `PORT=${input.pop3Port}` },
    ],
    'pop3d-ssl': [],
    authdaemonrc: [{ from: 'authmodulelist="authpam"', to: 'authmodulelist="authuserdb"' }],
  };
}

/** Apply `edits` to `text` (a shipped file named `name`); throws when an expected line is missing. */
export function applyLineEdits(name: string, text: string, edits: LineEdit[]): string {
  const lines = text.split('\n');
  for (const edit of edits) {
    const index = lines.indexOf(edit.from);
    if (index < 0) throw new Error(`courier config: shipped ${name} has no line ${JSON.stringify(edit.from)}`);
    lines[index] = `${edit.to}  # mailferry test harness; Debian: ${edit.from}`;
  }
  return lines.join('\n');
}

/**
 * One userdb(8) line: `name<TAB>field=value|...`. `home` holds `Maildir/` (the MAILDIRPATH
 * the daemons are started with); `systempw` is a crypt(3) hash from userdbpw.
 */
export function userdbLine(name: string, fields: { uid: number; gid: number; home: string; passwordHash: string }): string {
  return `${name}\tuid=${fields.uid}|gid=${fields.gid}|home=${fields.home}|systempw=${fields.passwordHash}\n`;
}
