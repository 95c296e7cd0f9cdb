/**
 * Graph's error responses (concepts/errors.md): HTTP status plus one JSON object
 * `{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}`.
 * The codes are the ones Graph uses for each case; where the docs give none (Outlook
 * passes Exchange's codes through: ErrorItemNotFound, ErrorInvalidIdMalformed, ...), the
 * code is the one the service is seen to send, and README.md says which is which.
 */
import { randomUUID } from 'node:crypto';

/** A Graph error a handler throws; index.ts turns it into the response. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers (Retry-After, WWW-Authenticate, Location). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The `innerError` Graph adds to every error: when and which request (its date has no fraction, as Graph's). */
export function innerError(requestId: string, clientRequestId: string | undefined): Record<string, string> {
  return {
    date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
    'request-id': requestId,
    'client-request-id': clientRequestId ?? requestId,
  };
}

export function errorBody(error: GraphError, requestId: string, clientRequestId: string | undefined): Record<string, unknown> {
  return { error: { code: error.code, message: error.message, innerError: innerError(requestId, clientRequestId) } };
}

export function newRequestId(): string {
  return randomUUID();
}

// The errors more than one handler raises, each with the code Graph sends for it.

export const badRequest = (message: string) => new GraphError(400, 'BadRequest', message);

/** An unknown property in $select/$expand/$filter (the OData URI parser's code). */
export const unknownProperty = (property: string, type: string) =>
  new GraphError(400, 'RequestBroker--ParseUri', `Could not find a property named '${property}' on type 'microsoft.graph.${type}'.`);

export const segmentNotFound = (segment: string) => new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);

export const methodNotAllowed = () => new GraphError(405, 'BadRequest', 'Specified HTTP method is not allowed for the request target.');

/** Exchange's answer for an id it cannot parse. */
export const idMalformed = () => new GraphError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');

/** Exchange's answer for an id of nothing (or of something gone). */
export const itemNotFound = () => new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

/** A mail request for a user the tenant does not have. */
export const invalidUser = (user: string) => new GraphError(404, 'ErrorInvalidUser', `The requested user '${user}' is invalid.`);

/** A directory request for an object the tenant does not have. */
export const directoryObjectNotFound = (id: string) =>
  new GraphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
