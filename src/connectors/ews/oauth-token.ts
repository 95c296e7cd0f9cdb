/** Moved to ../oauth/client-credentials.ts (shared by EWS and IMAP); kept for existing imports. */
export * from '../oauth/client-credentials.js';
