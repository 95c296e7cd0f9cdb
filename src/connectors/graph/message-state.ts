/**
 * A Graph message's state as IMAP flags, with the same mapping as EWS
 * (exchange/item-flags.ts): isRead -> \Seen, flag.flagStatus flagged -> \Flagged,
 * PidTagLastVerbExecuted -> \Answered / $Forwarded, isDraft -> \Draft, categories ->
 * keywords; receivedDateTime is the INTERNALDATE.
 *
 * The MAPI properties Graph has no name for are read as single-value extended properties
 * in the same request: PidTagMessageSize (0x0E08, to bound fetch batches by bytes before
 * the MIME is read) and PidTagLastVerbExecuted (0x1081).
 */
import { itemFlags, type ItemState } from '../exchange/item-flags.js';

const MESSAGE_SIZE = 'Integer 0x0E08';
const LAST_VERB_EXECUTED = 'Integer 0x1081';

/** $select and $expand of every message read, in delta pages and by id. */
export const MESSAGE_QUERY =
  `$select=id,isRead,flag,categories,receivedDateTime,isDraft,parentFolderId` +
  `&$expand=singleValueExtendedProperties($filter=id eq '${MESSAGE_SIZE}' or id eq '${LAST_VERB_EXECUTED}')`;

/** Size to assume when the server does not say (batches are bounded by the real bytes later). */
const UNKNOWN_SIZE = 64 * 1024;

/** The fields of microsoft.graph.message that MESSAGE_QUERY asks for. */
export interface GraphMessage {
  readonly id: string;
  readonly isRead?: boolean;
  readonly isDraft?: boolean;
  readonly flag?: { readonly flagStatus?: string };
  readonly categories?: readonly string[];
  readonly receivedDateTime?: string;
  readonly parentFolderId?: string;
  readonly singleValueExtendedProperties?: ReadonlyArray<{ readonly id: string; readonly value: string }>;
  readonly '@removed'?: { readonly reason?: string };
}

/** What the connector keeps of a message between its delta page and the read of its MIME. */
export interface MessageState {
  readonly flags: readonly string[];
  /** receivedDateTime; undefined when the server did not send it. */
  readonly received: Date | undefined;
  readonly size: number;
  readonly parentFolderId: string | undefined;
}

export function messageState(message: GraphMessage): MessageState {
  const state: ItemState = {
    isRead: typeof message.isRead === 'boolean' ? message.isRead : undefined,
    flagStatus: flagStatus(message.flag?.flagStatus),
    lastVerb: numberProperty(message, LAST_VERB_EXECUTED),
    categories: (message.categories ?? []).filter((c): c is string => typeof c === 'string'),
    ...(typeof message.isDraft === 'boolean' ? { isDraft: message.isDraft } : {}),
  };
  const received = message.receivedDateTime === undefined ? undefined : new Date(message.receivedDateTime);
  return {
    flags: itemFlags(state),
    received: received !== undefined && Number.isFinite(received.getTime()) ? received : undefined,
    size: numberProperty(message, MESSAGE_SIZE) ?? UNKNOWN_SIZE,
    parentFolderId: message.parentFolderId,
  };
}

/** Graph spells followupFlagStatus in lower camel case: notFlagged, complete, flagged. */
function flagStatus(value: string | undefined): ItemState['flagStatus'] {
  switch (value?.toLowerCase()) {
    case 'flagged': return 'Flagged';
    case 'complete': return 'Complete';
    case 'notflagged': return 'NotFlagged';
    default: return undefined;
  }
}

/**
 * An extended property's value (Graph sends values as strings), matched by type and tag:
 * Graph may spell the id it answers with differently from the request ("Integer 0xe08").
 */
function numberProperty(message: GraphMessage, id: string): number | undefined {
  const wanted = propertyKey(id);
  const found = message.singleValueExtendedProperties?.find((p) => propertyKey(p.id) === wanted);
  const value = found === undefined ? Number.NaN : Number(found.value);
  return Number.isFinite(value) ? value : undefined;
}

/** "Integer 0x0E08" -> "integer 3592"; anything else as it is, without case. */
function propertyKey(id: string): string {
  const tagged = /^(\w+)\s+0x([0-9a-f]+)$/i.exec(id.trim());
  return tagged ? `${tagged[1]!.toLowerCase()} ${parseInt(tagged[2]!, 16)}` : id.trim().toLowerCase();
}
