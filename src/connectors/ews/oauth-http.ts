/** Moved to ../oauth/authority-http.ts (shared by EWS and IMAP); kept for existing imports. */
export * from '../oauth/authority-http.js';
