/**
 * Extended (MAPI) property references: `t:ExtendedFieldURI` with either a PropertyTag,
 * or a property set (PropertySetId GUID or DistinguishedPropertySetId name) plus a
 * PropertyName or PropertyId. They are stored under one canonical key per property,
 * so that the tag written as "3591" (what ews-javascript-api sends: decimal!) and
 * "0x0E07" are the same property, and so are a distinguished set and its GUID.
 *
 * Keys: `tag:0x0E07`, `name:<guid>:<Name>`, `id:<guid>:<Id>` (GUID lowercase).
 */
import { attr } from './xml-reader.js';

/** GUIDs of DistinguishedPropertySetId values ([MS-OXPROPS] 1.3.2). */
const DISTINGUISHED_SETS: Record<string, string> = {
  Meeting: '6ed8da90-450b-101b-98da-00aa003f1305',
  Appointment: '00062002-0000-0000-c000-000000000046',
  Common: '00062008-0000-0000-c000-000000000046',
  PublicStrings: '00020329-0000-0000-c000-000000000046',
  Address: '00062004-0000-0000-c000-000000000046',
  InternetHeaders: '00020386-0000-0000-c000-000000000046',
  CalendarAssistant: '11000e07-b51b-40d6-af21-caa85edab1d0',
  UnifiedMessaging: '4442858e-a9e3-4e80-b900-317a210cc15b',
  Task: '00062003-0000-0000-c000-000000000046',
  Sharing: '00062040-0000-0000-c000-000000000046',
};

export interface ExtendedFieldRef {
  /** Canonical storage key. */
  key: string;
  /** PropertyType as given (Integer, String, SystemTime, Boolean, ...). */
  type: string;
  /** The attributes to write back in a response, in the form the client asked for. */
  echo: Record<string, string>;
}

/** `tag:0x0E07` for 3591 / "0x0E07" / "0xe07". */
export function tagKey(tag: number): string {
  return `tag:0x${tag.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Parses a PropertyTag attribute: EWS accepts decimal or 0x-hex. */
export function parseTag(value: string): number | undefined {
  const n = /^0x[0-9a-f]+$/i.test(value) ? parseInt(value.slice(2), 16) : /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 0xffff ? n : undefined;
}

/** Undefined when the reference is incomplete (the caller answers an error). */
export function parseExtendedFieldUri(element: Element): ExtendedFieldRef | undefined {
  const type = attr(element, 'PropertyType');
  if (!type) return undefined;
  const tagText = attr(element, 'PropertyTag');
  if (tagText !== undefined) {
    const tag = parseTag(tagText);
    if (tag === undefined) return undefined;
    // Exchange writes tags back as lowercase hex without padding ("0xe07").
    return { key: tagKey(tag), type, echo: { PropertyTag: `0x${tag.toString(16)}`, PropertyType: type } };
  }
  const setName = attr(element, 'DistinguishedPropertySetId');
  const setId = attr(element, 'PropertySetId');
  const guid = setName !== undefined ? DISTINGUISHED_SETS[setName] : setId?.toLowerCase().replace(/[{}]/g, '');
  if (!guid) return undefined;
  const echoSet: Record<string, string> = setName !== undefined ? { DistinguishedPropertySetId: setName } : { PropertySetId: setId ?? '' };
  const name = attr(element, 'PropertyName');
  if (name !== undefined) return { key: `name:${guid}:${name}`, type, echo: { ...echoSet, PropertyName: name, PropertyType: type } };
  const id = attr(element, 'PropertyId');
  if (id !== undefined && /^\d+$|^0x[0-9a-f]+$/i.test(id)) {
    const n = id.startsWith('0x') || id.startsWith('0X') ? parseInt(id.slice(2), 16) : Number(id);
    return { key: `id:${guid}:${n}`, type, echo: { ...echoSet, PropertyId: String(n), PropertyType: type } };
  }
  return undefined;
}

/** Well-known tags the model maps onto item fields. */
export const TAG = {
  messageClass: 0x001a, // PidTagMessageClass
  clientSubmitTime: 0x0039, // PidTagClientSubmitTime = DateTimeSent
  messageDeliveryTime: 0x0e06, // PidTagMessageDeliveryTime = DateTimeReceived
  messageFlags: 0x0e07, // PidTagMessageFlags (MSGFLAG_READ 0x1, MSGFLAG_UNSENT 0x8)
  messageSize: 0x0e08, // PidTagMessageSize
  lastVerbExecuted: 0x1081, // PidTagLastVerbExecuted (102 reply, 103 reply all, 104 forward)
} as const;
