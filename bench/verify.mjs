/**
 * Exactness of a copy, per folder of the source snapshot: the multiset of SHA-256 of the
 * message bytes (byte-exact), and separately flags and INTERNALDATE.
 */

function key(print, withMeta) {
  return withMeta ? `${print.sha256} ${print.internalDate} ${print.flags.join(' ')}` : print.sha256;
}

function multisetDiff(a, b) {
  const counts = new Map();
  for (const k of a) counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const k of b) counts.set(k, (counts.get(k) ?? 0) - 1);
  let missing = 0;
  let extra = 0;
  for (const n of counts.values()) {
    if (n > 0) missing += n;
    else extra -= n;
  }
  return { missing, extra };
}

/**
 * @param {Map<string, Array<{sha256:string, flags:string[], internalDate:string, size:number}>>} source
 * @param {Map<string, Array<{sha256:string, flags:string[], internalDate:string, size:number}>>} target
 */
export function compareSnapshots(source, target) {
  const problems = [];
  let bytesMissing = 0;
  let metaMismatch = 0;
  let messages = 0;
  let sizeDelta = 0;
  const detail = { dateMismatch: 0, flagsLost: new Map(), flagsAdded: new Map() };
  for (const [folder, prints] of source) {
    messages += prints.length;
    const got = target.get(folder);
    if (!got) {
      if (prints.length > 0) problems.push(`${folder}: missing on target (${prints.length} messages)`);
      bytesMissing += prints.length;
      continue;
    }
    const bytes = multisetDiff(prints.map((p) => key(p, false)), got.map((p) => key(p, false)));
    if (bytes.missing || bytes.extra) problems.push(`${folder}: ${bytes.missing} source message(s) without a byte-identical copy, ${bytes.extra} extra on target`);
    bytesMissing += bytes.missing;
    const meta = multisetDiff(prints.map((p) => key(p, true)), got.map((p) => key(p, true)));
    metaMismatch += Math.max(0, meta.missing - bytes.missing);
    sizeDelta += got.reduce((s, p) => s + p.size, 0) - prints.reduce((s, p) => s + p.size, 0);
    explainMeta(prints, got, detail);
  }
  return {
    messages,
    byteExact: bytesMissing === 0 && problems.length === 0,
    bytesMissing,
    /** Byte-identical copies whose flags or INTERNALDATE differ. */
    metaMismatch,
    /** Target bytes minus source bytes over the compared folders (mbsync's X-TUID shows here). */
    sizeDelta,
    /** For byte-identical copies: INTERNALDATE mismatches, and flags lost/added (flag -> count). */
    metaDetail: {
      dateMismatch: detail.dateMismatch,
      flagsLost: Object.fromEntries(detail.flagsLost),
      flagsAdded: Object.fromEntries(detail.flagsAdded),
    },
    problems,
  };
}

/** Pairs byte-identical messages (same sha256, in date order) and records what differs. */
function explainMeta(source, target, detail) {
  const bySha = (list) => {
    const m = new Map();
    for (const p of list) m.set(p.sha256, [...(m.get(p.sha256) ?? []), p]);
    for (const v of m.values()) v.sort((a, b) => (a.internalDate < b.internalDate ? -1 : a.internalDate > b.internalDate ? 1 : 0));
    return m;
  };
  const t = bySha(target);
  for (const [sha, srcList] of bySha(source)) {
    const tgtList = t.get(sha) ?? [];
    for (let i = 0; i < Math.min(srcList.length, tgtList.length); i++) {
      const a = srcList[i];
      const b = tgtList[i];
      if (a.internalDate !== b.internalDate) detail.dateMismatch += 1;
      for (const f of a.flags) if (!b.flags.includes(f)) detail.flagsLost.set(f, (detail.flagsLost.get(f) ?? 0) + 1);
      for (const f of b.flags) if (!a.flags.includes(f)) detail.flagsAdded.set(f, (detail.flagsAdded.get(f) ?? 0) + 1);
    }
  }
}

/** One line about flag/date differences of byte-identical copies, or ''. */
export function describeMeta(cmp) {
  const d = cmp.metaDetail;
  const parts = [];
  if (d.dateMismatch) parts.push(`${d.dateMismatch} INTERNALDATE differ`);
  const lost = Object.entries(d.flagsLost).map(([f, n]) => `${f} x${n}`);
  const added = Object.entries(d.flagsAdded).map(([f, n]) => `${f} x${n}`);
  if (lost.length) parts.push(`flags lost: ${lost.join(', ')}`);
  if (added.length) parts.push(`flags added: ${added.join(', ')}`);
  return parts.join('; ');
}

/**
 * Like snapshotAccount (`rawSnapshot`), plus `snapshot` hashing the bytes with mbsync's `X-TUID:` header line removed,
 * to tell "differs only by X-TUID" from a real difference. Read-only (EXAMINE, BODY.PEEK).
 */
export async function snapshotWithoutTuid(account) {
  const { connectImap, sha256 } = await import('../.build/test/support/imap-account.js');
  const client = await connectImap(account);
  try {
    const folders = (await client.list())
      .filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'))
      .map((f) => f.path);
    const snapshot = new Map();
    const rawSnapshot = new Map();
    let tuids = 0;
    for (const folder of folders) {
      const lock = await client.getMailboxLock(folder, { readOnly: true });
      try {
        const prints = [];
        const rawPrints = [];
        if (client.mailbox && client.mailbox.exists > 0) {
          for await (const msg of client.fetch('1:*', { flags: true, internalDate: true, size: true, source: true })) {
            let raw = msg.source;
            const flags = [...(msg.flags ?? [])].filter((f) => f.toLowerCase() !== '\\recent').sort();
            const internalDate = new Date(msg.internalDate).toISOString();
            rawPrints.push({ sha256: sha256(raw), flags, internalDate, size: raw.length });
            const at = headerLine(raw, 'X-TUID');
            if (at) {
              tuids += 1;
              raw = Buffer.concat([raw.subarray(0, at.start), raw.subarray(at.end)]);
            }
            prints.push({ sha256: sha256(raw), flags, internalDate, size: raw.length });
          }
        }
        snapshot.set(folder, prints);
        rawSnapshot.set(folder, rawPrints);
      } finally {
        lock.release();
      }
    }
    return { snapshot, rawSnapshot, tuids };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Byte range of the first header line named `name` (with its CRLF), within the header. */
function headerLine(raw, name) {
  const headerEnd = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, headerEnd < 0 ? raw.length : headerEnd + 2).toString('latin1');
  const re = new RegExp(`(^|\\r\\n)(${name}:[^\\r\\n]*\\r\\n)`, 'i');
  const m = re.exec(head);
  if (!m) return null;
  const start = m.index + m[1].length;
  return { start, end: start + m[2].length };
}
