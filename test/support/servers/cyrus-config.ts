/**
 * imapd.conf and cyrus.conf for a private Cyrus instance, made from the files Debian ships
 * (`etc/imapd.conf`, `etc/cyrus.conf` of the unpacked cyrus-common), changing only paths,
 * ports, the services that run, and authentication. Pure functions, so they are unit-testable.
 */

/** Inputs for {@link cyrusImapdConf}; all paths absolute. */
export interface CyrusImapdConfInput {
  dir: string;
  /** The private sasldb (saslpasswd2 -f). */
  sasldbFile: string;
  /** The user the harness logs in as to CREATE user.<name>. */
  adminUser: string;
  /** Set or replace these keys after the harness's own (e.g. `{ popminpoll: '0' }`). */
  settings?: Readonly<Record<string, string>>;
}

/** Where {@link cyrusImapdConf} puts things under `dir`. */
export function cyrusPaths(dir: string) {
  return {
    imapdConf: `${dir}/imapd.conf`,
    cyrusConf: `${dir}/cyrus.conf`,
    configDirectory: `${dir}/conf`,
    partitionDefault: `${dir}/spool`,
    partitionNews: `${dir}/news`,
    newsSpool: `${dir}/newsspool`,
    sieveDir: `${dir}/sieve`,
    run: `${dir}/run`,
    procPath: `${dir}/run/proc`,
    lockPath: `${dir}/run/lock`,
    socketDir: `${dir}/run/socket`,
    lmtpSocket: `${dir}/run/socket/lmtp`,
    idleSocket: `${dir}/run/socket/idle`,
    notifySocket: `${dir}/run/socket/notify`,
    pidFile: `${dir}/run/master.pid`,
  };
}

/**
 * Debian's imapd.conf with every path moved under `dir` and SASL pointed at a private sasldb.
 *
 * Everything else stays as shipped: the `INBOX.` namespace (altnamespace: no), `.` as
 * separator (unixhierarchysep: no), `popminpoll: 1` (one POP3 login a minute per user:
 * `-ERR [LOGIN-DELAY]`), munge8bit at its default (on: 8-bit header bytes become 'X'),
 * `allowplaintext: yes`, `sasl_pwcheck_method: auxprop`.
 */
export function cyrusImapdConf(shipped: string, input: CyrusImapdConfInput): string {
  const p = cyrusPaths(input.dir);
  const replace: Record<string, string> = {
    configdirectory: p.configDirectory,
    proc_path: p.procPath,
    mboxname_lockpath: p.lockPath,
    'partition-default': p.partitionDefault,
    'partition-news': p.partitionNews,
    newsspool: p.newsSpool,
    sievedir: p.sieveDir,
    lmtpsocket: p.lmtpSocket,
    idlesocket: p.idleSocket,
    notifysocket: p.notifySocket,
    // Authentication: the private sasldb only, plaintext LOGIN allowed without TLS.
    sasl_pwcheck_method: 'auxprop',
    sasl_auxprop_plugin: 'sasldb',
    sasl_sasldb_path: input.sasldbFile,
    allowplaintext: 'yes',
    admins: input.adminUser,
    ...input.settings,
  };
  return setKeys(shipped, replace, 'mailferry test harness (test/support/servers/cyrus.ts)');
}

/**
 * Set `key: value` for each entry: a key that is set (uncommented) in `conf` has that line
 * replaced in place; the others are appended. Cyrus rejects a key given twice, so never both.
 */
function setKeys(conf: string, values: Record<string, string>, why: string): string {
  const seen = new Set<string>();
  const lines = conf.split('\n').map((line) => {
    const match = /^\s*([A-Za-z0-9_-]+)\s*:/.exec(line);
    const key = match?.[1];
    if (key === undefined || !(key in values)) return line;
    seen.add(key);
    return `${key}: ${values[key]}`;
  });
  const added = Object.entries(values).filter(([key]) => !seen.has(key));
  if (lines.at(-1) === '') lines.pop();
  if (added.length > 0) lines.push('', `# ${why}`, ...added.map(([key, value]) => `${key}: ${value}`));
  return `${lines.join('\n')}\n`;
}

/** Inputs for {@link cyrusConf}. */
export interface CyrusConfInput {
  dir: string;
  /** Absolute directory of the Cyrus programs (Debian's /usr/lib/cyrus/bin, unpacked). */
  binDir: string;
  imapPort: number;
  pop3Port: number;
}

/** The services of Debian's cyrus.conf that a harness instance runs; the rest are commented out. */
const KEPT_SERVICES = new Set(['imap', 'pop3', 'lmtpunix']);

/**
 * Debian's cyrus.conf, with:
 * - imap and pop3 listening on 127.0.0.1:<port>, lmtpunix on a socket under `dir`; every
 *   other service (nntp, http, sieve, notify: their programs are not unpacked or need more
 *   libraries) commented out;
 * - each command made absolute (`/usr/sbin/cyrus expire` becomes `<binDir>/cyr_expire`) and
 *   given `-C <dir>/imapd.conf`, since master's own -C does not reach the programs it runs.
 */
export function cyrusConf(shipped: string, input: CyrusConfInput): string {
  const p = cyrusPaths(input.dir);
  const listen: Record<string, string> = {
    imap: `127.0.0.1:${input.imapPort}`,
    pop3: `127.0.0.1:${input.pop3Port}`,
    lmtpunix: p.lmtpSocket,
  };
  let section = '';
  const out = shipped.split('\n').map((line) => {
    const trimmed = line.trim();
    const open = /^([A-Z]+)\s*\{/.exec(trimmed);
    if (open) {
      section = open[1] ?? '';
      return line;
    }
    if (trimmed === '}') {
      section = '';
      return line;
    }
    const entry = /^(\s*)([A-Za-z0-9_]+)(\s+)(.*)$/.exec(line);
    if (section === '' || trimmed.startsWith('#') || !entry) return line;
    const [, indent = '', name = '', gap = '', rest = ''] = entry;
    if (section === 'SERVICES' && !KEPT_SERVICES.has(name)) return `#${line} # dropped by the mailferry harness`;
    let fields = rest.replace(/cmd="([^"]*)"/, (_all, cmd: string) => `cmd="${absoluteCommand(cmd, input.binDir, p.imapdConf)}"`);
    const address = listen[name];
    if (section === 'SERVICES' && address !== undefined) fields = fields.replace(/listen="[^"]*"/, `listen="${address}"`);
    return `${indent}${name}${gap}${fields}`;
  });
  return `# made from Debian's cyrus.conf by test/support/servers/cyrus.ts\n${out.join('\n')}`;
}

/** `imapd -U 30` -> `<bin>/imapd -C <conf> -U 30`; `/usr/sbin/cyrus expire -E 3` -> `<bin>/cyr_expire -C <conf> -E 3`. */
function absoluteCommand(cmd: string, binDir: string, imapdConf: string): string {
  const words = cmd.trim().split(/\s+/);
  let program = words.shift() ?? '';
  if (program === '/usr/sbin/cyrus') {
    const name = words.shift() ?? '';
    const resolved = CYRUS_WRAPPER_NAMES[name];
    if (resolved === undefined) throw new Error(`cyrus.conf: unknown \`/usr/sbin/cyrus ${name}\` command`);
    program = resolved;
  }
  return [`${binDir}/${program.replace(/^.*\//, '')}`, '-C', imapdConf, ...words].join(' ');
}

/** What Debian's `/usr/sbin/cyrus NAME` wrapper runs for the names cyrus.conf uses (it tries NAME, cyr_NAME, ctl_NAME). */
const CYRUS_WRAPPER_NAMES: Record<string, string> = {
  ctl_cyrusdb: 'ctl_cyrusdb',
  expire: 'cyr_expire',
  tls_prune: 'tls_prune',
  squatter: 'squatter',
  ctl_mboxlist: 'ctl_mboxlist',
};
