/** Where one Maildir lives. Built by the config layer; the connector reads nothing else. */
export interface MaildirOptions {
  /** Absolute path of the Maildir root (its own cur/new/tmp are INBOX). */
  readonly root: string;
}
