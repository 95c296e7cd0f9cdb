/** Bad input from the user (command line, config file, secrets): the message names what to fix. */
export class ConfigError extends Error {
  readonly code = 'CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
