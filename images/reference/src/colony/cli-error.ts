// An error that ends the command with `Error: <message>` and exit 1, as cobra's RunE errors do.
export class CliError extends Error {
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}
