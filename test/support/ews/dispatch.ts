/**
 * One SOAP request in, one HTTP answer out: parse the envelope, find the operation (the
 * first child element of soap:Body), apply ExchangeImpersonation, run the handler.
 */
import type { Directory } from './directory.js';
import type { FaultState } from './faults.js';
import type { OpContext } from './context.js';
import { NS } from './namespaces.js';
import { createFolder, findFolder, getFolder } from './ops/folders.js';
import { createItem } from './ops/create-item.js';
import { findItem, getItem } from './ops/items.js';
import { syncFolderItems } from './ops/sync.js';
import { deleteItem, updateItem } from './ops/update-delete.js';
import { envelope, SoapFaultError } from './soap.js';
import { child, children, parseXml, tChild, textOf } from './xml-reader.js';

type Handler = (ctx: OpContext, request: Element) => string;

const OPERATIONS: Record<string, Handler> = {
  GetFolder: getFolder,
  FindFolder: findFolder,
  CreateFolder: createFolder,
  SyncFolderItems: syncFolderItems,
  GetItem: getItem,
  FindItem: findItem,
  CreateItem: createItem,
  UpdateItem: updateItem,
  DeleteItem: deleteItem,
};

export interface ParsedRequest {
  operation: string;
  body: Element;
  header: Element | undefined;
}

/** Throws SoapFaultError(ErrorSchemaValidation) for anything that is not a SOAP 1.1 EWS request. */
export function parseRequest(xml: string): ParsedRequest {
  let doc: Document;
  try {
    doc = parseXml(xml);
  } catch (error) {
    throw new SoapFaultError('ErrorSchemaValidation', `The request failed schema validation: ${(error as Error).message}`);
  }
  const root = doc.documentElement;
  const body = root && root.namespaceURI === NS.soap && root.localName === 'Envelope' ? child(root, NS.soap, 'Body') : undefined;
  const request = body && children(body)[0];
  if (!root || !body || !request) throw new SoapFaultError('ErrorSchemaValidation', 'The request failed schema validation: no soap:Envelope/soap:Body with a request element.');
  if (request.namespaceURI !== NS.messages) {
    throw new SoapFaultError('ErrorSchemaValidation', `The request failed schema validation: '${request.localName}' is not in the EWS messages namespace.`);
  }
  return { operation: request.localName, body: request, header: child(root, NS.soap, 'Header') };
}

/** t:ExchangeImpersonation/t:ConnectingSID: the SMTP address (or UPN) to act as. */
export function impersonatedAddress(header: Element | undefined): string | undefined {
  const impersonation = header && tChild(header, 'ExchangeImpersonation');
  if (!impersonation) return undefined;
  const sid = tChild(impersonation, 'ConnectingSID');
  for (const name of ['PrimarySmtpAddress', 'SmtpAddress', 'PrincipalName', 'SID']) {
    const value = sid && textOf(tChild(sid, name));
    if (value) return value;
  }
  // An ExchangeImpersonation header that names nobody: no mailbox can match it.
  return '';
}

export interface DispatchInput {
  directory: Directory;
  faults: FaultState;
  maxSyncChanges: number;
  maxMessageBytes: number;
  user: string;
  parsed: ParsedRequest;
  impersonated: string | undefined;
}

/** Returns the response envelope; throws SoapFaultError for request-level failures. */
export function dispatch(input: DispatchInput): string {
  const { directory, parsed, user, impersonated } = input;
  let actingAs = user;
  if (impersonated !== undefined) {
    if (!directory.mayImpersonate(user, impersonated)) {
      throw new SoapFaultError('ErrorImpersonateUserDenied', 'The account does not have permission to impersonate the requested user.');
    }
    if (!directory.mailbox(impersonated)) throw new SoapFaultError('ErrorNonExistentMailbox', `The SMTP address "${impersonated}" has no mailbox associated with it.`);
    actingAs = impersonated;
  }
  const mailbox = directory.mailbox(actingAs);
  if (!mailbox) throw new SoapFaultError('ErrorNonExistentMailbox', `The SMTP address "${actingAs}" has no mailbox associated with it.`);
  const handler = OPERATIONS[parsed.operation];
  if (!handler) throw new SoapFaultError('ErrorInvalidRequest', `The EWS test server does not implement the operation '${parsed.operation}'.`);
  const ctx: OpContext = {
    directory,
    mailbox,
    faults: input.faults,
    maxSyncChanges: input.maxSyncChanges,
    maxMessageBytes: input.maxMessageBytes,
  };
  return envelope(handler(ctx, parsed.body));
}
