/**
 * GET /users/{id}/mailFolders/{id}/messages/delta (message-delta.md,
 * concepts/delta-query-messages.md).
 *
 * A round is computed when it starts (the first request, or the one with a $deltatoken):
 * the messages created, changed or removed in the folder since the watermark of the
 * deltaLink (everything present, for an initial round), in change order. Its pages go out
 * `Prefer: odata.maxpagesize` at a time (default, and at most, 10, or the server's
 * maxPageSize) with an @odata.nextLink ($skiptoken) until the last, which carries the
 * @odata.deltaLink ($deltatoken) for the next round. A message is written with its state
 * when its page is served; one that changed several times appears once. A message deleted
 * or moved out of the folder is `{"@odata.type", "id", "@removed": {"reason": "deleted"}}`
 * (the docs' sample; the only reason they show for messages). Changes made during a round
 * are in the next one. The first request's $select, $expand, $filter (receivedDateTime ge|gt only),
 * $orderby (receivedDateTime desc only) and changeType are kept in the tokens and apply to
 * every later page and round, as the docs describe; $search is refused.
 */
import { json, type GraphAnswer, type GraphRequest, type ServerState } from '../context.js';
import { syncStateNotFound, type ChangeType, type DeltaEntry, type DeltaOptions, type DeltaState } from '../delta-tokens.js';
import type { UserRecord } from '../directory.js';
import { badRequest } from '../errors.js';
import type { FolderRecord } from '../mailbox.js';
import { preferredPageSize } from '../odata.js';
import { messageJson, removedJson } from '../writers.js';
import { expandedProperties } from './mail.js';

/** Page size of a delta answer without Prefer, and the largest one (the server option maxPageSize changes both). */
const DELTA_PAGE = 10;

/** message-delta.md: "The only supported $filter expresssions are receivedDateTime ge|gt {value}", "the only supported $orderby expression is receivedDateTime desc", no $search. */
function filterOptions(request: GraphRequest): Pick<DeltaOptions, 'receivedSince' | 'newestFirst'> {
  if (request.query.params.has('search')) throw badRequest('$search is not supported on delta queries.');
  const orderby = request.query.params.get('orderby');
  if (orderby !== undefined && !/^receivedDateTime\s+desc$/i.test(orderby.trim())) throw badRequest(`Unsupported $orderby on delta: '${orderby}'. Only 'receivedDateTime desc' is supported.`);
  const filter = request.query.filter;
  let receivedSince: DeltaOptions['receivedSince'];
  if (filter !== undefined) {
    const match = /^receivedDateTime\s+(ge|gt)\s+(\S+)$/i.exec(filter.trim());
    const time = match?.[2] === undefined ? NaN : Date.parse(match[2]);
    if (!match || Number.isNaN(time)) throw badRequest(`Unsupported $filter on delta: '${filter}'. Only 'receivedDateTime ge|gt {value}' is supported.`);
    receivedSince = { inclusive: match[1]!.toLowerCase() === 'ge', time };
  }
  return { receivedSince, newestFirst: orderby !== undefined };
}

function changeTypeOf(request: GraphRequest): ChangeType | undefined {
  const value = request.query.params.get('changetype');
  if (value === undefined) return undefined;
  if (value !== 'created' && value !== 'updated' && value !== 'deleted') throw badRequest(`Invalid value '${value}' for changeType; expected created, updated or deleted.`);
  return value;
}

/** The changes in `folder` after change number `since` (0: the initial round: what is there now). */
function changesSince(folder: FolderRecord, since: number, options: DeltaOptions): DeltaEntry[] {
  const changes: Array<DeltaEntry & { cn: number; type: ChangeType; received: number }> = [];
  const window = options.receivedSince;
  for (const message of folder.messages) {
    const received = message.received.getTime();
    if (window && (window.inclusive ? received < window.time : received <= window.time)) continue;
    if (message.deletedCn === undefined) {
      if (since === 0 || message.createdCn > since) changes.push({ num: message.num, removed: false, cn: message.lastCn, type: 'created', received });
      else if (message.lastCn > since) changes.push({ num: message.num, removed: false, cn: message.lastCn, type: 'updated', received });
    } else if (since > 0 && message.deletedCn > since && message.createdCn <= since) {
      // Created and gone within the window: the client never saw it, so nothing to report.
      changes.push({ num: message.num, removed: true, cn: message.deletedCn, type: 'deleted', received });
    }
  }
  return changes
    .filter((c) => options.changeType === undefined || c.type === options.changeType)
    .sort((a, b) => (options.newestFirst ? b.received - a.received || b.cn - a.cn : a.cn - b.cn))
    .map(({ num, removed }) => ({ num, removed }));
}

export function messageDelta(state: ServerState, request: GraphRequest, user: UserRecord, folder: FolderRecord): GraphAnswer {
  const model = user.mailbox;
  const mailbox = user.mail.toLowerCase();
  const token = request.query.skipToken ?? request.query.deltaToken;
  let previous: DeltaState | undefined;
  if (token !== undefined) {
    previous = state.deltas.get(token);
    if (!previous || previous.mailbox !== mailbox || previous.folderNum !== folder.num) throw syncStateNotFound();
    // A skip token continues a round; a delta token (or a skip token used as one) starts the next.
    if (request.query.skipToken !== undefined && !previous.round) throw syncStateNotFound();
    if (request.query.deltaToken !== undefined && previous.watermark === undefined) throw syncStateNotFound();
  }
  const options: DeltaOptions = previous?.options ?? {
    select: request.query.select,
    extended: expandedProperties(request),
    changeType: changeTypeOf(request),
    top: request.query.top,
    ...filterOptions(request),
  };
  const round = previous?.round ?? { entries: changesSince(folder, previous?.watermark ?? 0, options), offset: 0, until: model.currentCn };

  const prefer = preferredPageSize(request.header('prefer'));
  const cap = state.maxPageSize ?? DELTA_PAGE;
  const size = Math.max(1, Math.min(prefer ?? options.top ?? DELTA_PAGE, cap));
  const slice = round.entries.slice(round.offset, round.offset + size);
  const value = slice.flatMap((entry) => {
    const message = model.messageByNum(entry.num);
    if (!message) return [];
    if (entry.removed || message.deletedCn !== undefined) return [removedJson(message)];
    return [messageJson(model, message, { select: options.select, extended: options.extended, withType: true })];
  });

  const link = `${state.baseUrl}/users/${encodeURIComponent(user.userPrincipalName)}/mailFolders('${folder.id}')/messages/delta`;
  const offset = round.offset + slice.length;
  const next = offset < round.entries.length
    ? { '@odata.nextLink': `${link}?$skiptoken=${state.deltas.issue({ mailbox, folderNum: folder.num, options, round: { ...round, offset } })}` }
    : { '@odata.deltaLink': `${link}?$deltatoken=${state.deltas.issue({ mailbox, folderNum: folder.num, options, watermark: round.until })}` };
  const headers: Record<string, string> = prefer === undefined ? {} : { 'Preference-Applied': `odata.maxpagesize=${size}` };
  return json({ '@odata.context': `${state.baseUrl}/$metadata#Collection(message)`, ...next, value }, headers);
}
