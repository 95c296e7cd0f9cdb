/**
 * The contract suites name folders as Dovecot does here ("Contract/Sub", no prefix). On a
 * server whose personal folders live under a prefix with another separator (Cyrus and
 * Courier: "INBOX." and "."), this adapter hands the connector under test the server's
 * own names ("INBOX.Contract.Sub") and gives listings back in the suite's form, so the
 * same tests run unchanged. Only names are translated; every call reaches the connector.
 */
import type { TargetConnector } from '../../src/connectors/types.js';

export interface ServerNames {
  readonly prefix: string;
  readonly separator: string;
}

export function namespacedTarget(target: TargetConnector, names: ServerNames): TargetConnector {
  const toServer = (path: string) => (path.toUpperCase() === 'INBOX' ? path : names.prefix + path.split('/').join(names.separator));
  const fromServer = (path: string) => (path.startsWith(names.prefix) ? path.slice(names.prefix.length).split(names.separator).join('/') : path);
  /** Wraps each function of `object`: its first `paths` arguments are folder names. */
  const wrap = <T extends object>(object: T, paths = 1): T => new Proxy(object, {
    get(inner, key) {
      const value = Reflect.get(inner, key, inner) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(inner, args.map((arg, i) => (i < (key === 'renameFolder' ? 2 : paths) && typeof arg === 'string' ? toServer(arg) : arg)));
    },
  });
  return new Proxy(target, {
    get(inner, key) {
      if (key === 'features') {
        const features = inner.features;
        return {
          ...features,
          recovery: wrap(features.recovery),
          ...(features.appendAtomic ? { appendAtomic: (path: string, items: Parameters<NonNullable<typeof features.appendAtomic>>[1]) => features.appendAtomic!(toServer(path), items) } : {}),
          ...(features.storedCopies ? { storedCopies: (path: string, uids: readonly number[]) => features.storedCopies!(toServer(path), uids) } : {}),
          ...(features.mirror ? { mirror: wrap(features.mirror) } : {}),
        };
      }
      if (key === 'listFolders') {
        return async (...args: Parameters<TargetConnector['listFolders']>) => (await inner.listFolders(...args)).map((f) => ({ ...f, path: fromServer(f.path), delimiter: '/' }));
      }
      if (key === 'ensureFolder') {
        return async (path: string, role?: Parameters<TargetConnector['ensureFolder']>[1]) => {
          const made = await inner.ensureFolder(toServer(path), role);
          return { ...made, path: fromServer(made.path) };
        };
      }
      const value = Reflect.get(inner, key, inner) as unknown;
      if (typeof value !== 'function') return value;
      if (['status', 'flagPolicy', 'append'].includes(String(key))) {
        return (path: string, ...rest: unknown[]) => (value as (...a: unknown[]) => unknown).apply(inner, [toServer(path), ...rest]);
      }
      return (value as (...a: unknown[]) => unknown).bind(inner);
    },
  });
}
