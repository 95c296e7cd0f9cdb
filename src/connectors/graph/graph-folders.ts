/**
 * A mailbox's folder tree from Graph: the top level from `mailFolders`, every level below
 * from `childFolders`, hidden folders included (`includeHiddenFolders=true`) and kept where
 * they hold mail. The children of one level are asked for in JSON batches of 20, so a tree
 * costs about one round trip per level, not one per folder. Paths, the Inbox as "INBOX",
 * a "/" inside a name and clashing names follow the EWS connector's rules
 * (exchange/folder-tree.ts); the well-known folders give the special-use roles.
 */
import { buildFolderTree, type FolderEntry, type RawFolder } from '../exchange/folder-tree.js';
import { ConnectorError, isConnectorError } from '../connector-error.js';
import type { SpecialUse } from '../types.js';
import type { BatchStep, GraphHttp } from './graph-http.js';

/** Graph's well-known folder names (resources/mailfolder.md) with their IMAP roles; msgfolderroot is the root. */
const WELL_KNOWN: ReadonlyArray<readonly [string, SpecialUse | undefined]> = [
  ['msgfolderroot', undefined],
  ['inbox', undefined],
  ['sentitems', '\\Sent'],
  ['drafts', '\\Drafts'],
  ['deleteditems', '\\Trash'],
  ['junkemail', '\\Junk'],
  ['archive', '\\Archive'],
];
const FOLDER_FIELDS = '$select=id,displayName,parentFolderId,childFolderCount,totalItemCount,isHidden&$top=100&includeHiddenFolders=true';
const BATCH_SIZE = 20;

interface GraphFolder {
  readonly id: string;
  readonly displayName?: string;
  readonly parentFolderId?: string;
  readonly childFolderCount?: number;
  readonly totalItemCount?: number;
  readonly isHidden?: boolean;
}

interface FolderPage {
  readonly value?: GraphFolder[];
  readonly '@odata.nextLink'?: string;
}

/**
 * The last listing of each mailbox in this process, shared by its connections: every folder
 * job opens its own connection and needs its folder's id, and listing a tree of 1,000
 * folders once per job would cost a million folder reads. Ids survive renames, so an entry
 * stays good; a path not in it lists the tree again.
 */
const listings = new Map<string, Map<string, FolderEntry>>();

export class GraphFolders {
  private readonly key: string;

  /** @param mailbox - the API path of the mailbox, /users/{address}. */
  constructor(private readonly http: GraphHttp, private readonly mailbox: string, private readonly label: string) {
    this.key = `${http.endpoint} ${mailbox.toLowerCase()}`;
  }

  /** Every mail folder, parents before children; read anew (the index for `folder()` with it). */
  async list(): Promise<FolderEntry[]> {
    const wellKnown = await this.wellKnownIds();
    const rootId = wellKnown.get('msgfolderroot');
    if (rootId === undefined) throw new ConnectorError(`list folders of ${this.label}: Graph did not name the mailbox's root folder`, { code: 'PROTOCOL', scope: 'account', retry: 'now' });
    const folders: GraphFolder[] = [];
    let level = await this.allPages(`${this.mailbox}/mailFolders?${FOLDER_FIELDS}`, 'list folders');
    while (level.length > 0) {
      folders.push(...level);
      level = await this.childrenOf(level.filter((f) => (f.childFolderCount ?? 0) > 0));
    }
    const specialUses = new Map<string, SpecialUse>();
    for (const [name, role] of WELL_KNOWN) {
      const id = wellKnown.get(name);
      if (id !== undefined && role !== undefined) specialUses.set(id, role);
    }
    const entries = buildFolderTree({
      rootId,
      inboxId: wellKnown.get('inbox'),
      specialUses,
      folders: folders.map((f): RawFolder => ({
        id: f.id,
        parentId: f.parentFolderId,
        displayName: f.displayName ?? '',
        folderClass: undefined,
        totalCount: f.totalItemCount ?? 0,
        // Hidden folders are Exchange's and add-ins' own storage, unless someone put mail there.
        hidden: f.isHidden === true && (f.totalItemCount ?? 0) === 0,
      })),
    });
    listings.set(this.key, new Map(entries.map((e) => [e.path, e])));
    return entries;
  }

  /** The folder at `path`, from the last listing of the mailbox (listed again if it is not there). */
  async folder(path: string): Promise<FolderEntry> {
    if (!listings.get(this.key)?.has(path)) await this.list();
    const found = listings.get(this.key)?.get(path);
    if (found === undefined) throw new ConnectorError(`folder "${path}" of ${this.label} does not exist`, { code: 'FOLDER_NOT_FOUND', scope: 'folder', retry: 'never' });
    return found;
  }

  /** The ids of the well-known folders the mailbox has (one batch; a mailbox without an archive has none). */
  private async wellKnownIds(): Promise<Map<string, string>> {
    const answers = await this.http.batch(WELL_KNOWN.map(([name]) => ({ url: `${this.mailbox}/mailFolders/${name}?$select=id` })), 'read the well-known folders');
    const ids = new Map<string, string>();
    for (const [i, answer] of answers.entries()) {
      const name = WELL_KNOWN[i]![0];
      this.http.noteBackOff(answer);
      const id = (answer.body as GraphFolder | undefined)?.id;
      if (answer.status === 200 && typeof id === 'string') ids.set(name, id);
      else if (answer.status !== 404) {
        // 424 (a step before failed), throttled, refused: on its own, so a real refusal says what it is.
        const folder = await this.http.getJson<GraphFolder>(`${this.mailbox}/mailFolders/${name}?$select=id`, `read the ${name} folder`).catch((error: unknown) => {
          if (isConnectorError(error) && error.code === 'FOLDER_NOT_FOUND') return undefined;
          throw error;
        });
        if (folder?.id) ids.set(name, folder.id);
      }
    }
    return ids;
  }

  /** The children of `parents`, 20 parents per batch; a page that says there is more is followed. */
  private async childrenOf(parents: readonly GraphFolder[]): Promise<GraphFolder[]> {
    const out: GraphFolder[] = [];
    for (let i = 0; i < parents.length; i += BATCH_SIZE) {
      const slice = parents.slice(i, i + BATCH_SIZE);
      const steps: BatchStep[] = slice.map((p) => ({ url: `${this.mailbox}/mailFolders/${p.id}/childFolders?${FOLDER_FIELDS}` }));
      const answers = await this.http.batch(steps, 'list subfolders');
      for (const [n, answer] of answers.entries()) {
        this.http.noteBackOff(answer);
        const page = answer.body as FolderPage | undefined;
        if (answer.status === 200 && page?.value !== undefined) {
          out.push(...page.value);
          if (page['@odata.nextLink']) out.push(...(await this.allPages(page['@odata.nextLink'], 'list subfolders')));
        } else {
          // Failed in the batch (424 after another step's failure, throttled): on its own.
          out.push(...(await this.allPages(steps[n]!.url, 'list subfolders')));
        }
      }
    }
    return out;
  }

  private async allPages(first: string, what: string): Promise<GraphFolder[]> {
    const out: GraphFolder[] = [];
    for (let next: string | undefined = first; next !== undefined; ) {
      const page: FolderPage = await this.http.getJson<FolderPage>(next, what);
      out.push(...(page.value ?? []));
      next = page['@odata.nextLink'];
    }
    return out;
  }
}
