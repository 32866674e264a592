/** @module cli/errors — the CLI's own failures, and which exit code each one means. */

/** A failure found on the client side: a name that matches nothing or several objects, a wait that ended in ERROR. Exit 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** The command line itself is wrong (an unknown column, a missing choice between options). Exit 2, as commander's own usage errors. */
export class UsageError extends Error {
  override name = 'UsageError';
}
