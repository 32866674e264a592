/**
 * @module cli/commands/common — what every noun shares: the context commands run in, the options
 * openstackclient gives every command (`-f`, `-c`, `--wait`, `--enable`/`--disable`), and the
 * create/set/delete endings that print or wait.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ApiClient, ApiObject, Resource } from '../client.js';
import { FORMATS, printShow, type Format, type OutputOptions, type Writer } from '../output.js';
import { waitForActive, waitForGone, type WaitOptions } from '../wait.js';

/** What a command's action needs, built once per `runCli` call. */
export interface Context {
  /** The API client, from the global options (read when the action runs). */
  client(): ApiClient;
  /** A client of the identity API (Keystone v3) the session logged in at. */
  identityClient(): ApiClient;
  /**
   * Drops the session: the next request logs in again (a new token from the OS_* password
   * credentials; a token given as OS_TOKEN stays the same). Clients made before keep theirs
   * until their `renew()`.
   */
  relogin(): void;
  /** Results. */
  out: Writer;
  /** `--wait` progress. */
  err: Writer;
  /** Poll interval, deadline and start time for `--wait`. */
  waitOptions(): WaitOptions;
}

/** Options every printing command has (`-f`, `-c`). */
export interface PrintOpts {
  /** `-f`. */
  format: Format;
  /** `-c`, in the order given. */
  column?: string[];
}

/** `--wait`. */
export interface WaitOpts {
  /** Follow the object until ACTIVE, ERROR or gone. */
  wait?: boolean;
}

/** `--enable` / `--disable`. */
export interface EnableOpts {
  /** `admin_state_up: true`. */
  enable?: boolean;
  /** `admin_state_up: false`. */
  disable?: boolean;
}

/** Appends a repeated option's values (`-c id -c name`, `--tag a --tag b`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Parses an integer option, or fails as a usage error naming the option. */
export const int = (option: string) => (value: string): number => {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${option} must be an integer.`);
  return Number(value);
};

/** An option limited to `values`, accepted in any case as octaviaclient does (`--protocol http`). */
export function choice(flags: string, description: string, values: readonly string[]): Option {
  return new Option(flags, description).choices(values).argParser((v: string) => {
    const up = v.toUpperCase();
    if (!values.includes(up)) throw new InvalidArgumentError(`Allowed choices are ${values.join(', ')}.`);
    return up;
  });
}

/** Parses `k=v[,k=v…]` (`--insert-headers`, `--session-persistence`, `--fixed-ip`). */
export const keyValues = (option: string) => (value: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`${option} takes key=value pairs separated by commas.`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
};

/** Adds `-f/--format` and `-c/--column`. */
export function withPrint(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --format <format>', 'the output format').choices(FORMATS).default('table'))
    .option('-c, --column <column>', 'specify the column(s) to include, can be repeated', collect);
}

/** Adds `--wait`. */
export function withWait(cmd: Command): Command {
  return cmd.option('--wait', 'wait for the change to complete, showing each status change');
}

/** Adds `--enable` / `--disable` (mutually exclusive). */
export function withEnable(cmd: Command, what: string): Command {
  return cmd
    .addOption(new Option('--enable', `enable ${what}`))
    .addOption(new Option('--disable', `disable ${what}`).conflicts('enable'));
}

/** `admin_state_up` from `--enable`/`--disable`, or nothing when neither was given. */
export function adminState(opts: EnableOpts): { admin_state_up?: boolean } {
  if (opts.disable) return { admin_state_up: false };
  return opts.enable ? { admin_state_up: true } : {};
}

/** The `-f`/`-c` choice of a command. */
export const printOptions = (opts: PrintOpts): OutputOptions => ({ format: opts.format, columns: opts.column ?? [] });

/** Drops keys whose value is undefined, so that only given options reach the request body. */
export function given(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The ID of an optional reference option (name or ID), or undefined when the option was not given. */
export async function resolveOpt(client: ApiClient, res: Resource, ref: string | undefined, parentId?: string): Promise<string | undefined> {
  return ref === undefined ? undefined : client.resolve(res, ref, parentId);
}

/** Ends a create: waits when asked (showing the object as it ends up), then prints it. */
export async function finishCreate(
  ctx: Context, res: Resource, created: ApiObject, opts: PrintOpts & WaitOpts, parentId?: string,
): Promise<void> {
  const obj = opts.wait ? await waitForActive(ctx.client(), res, created, ctx.waitOptions(), parentId) : created;
  printShow(ctx.out, obj, printOptions(opts));
}

/** Ends a set: prints nothing (as openstackclient), but waits when asked. */
export async function finishSet(ctx: Context, res: Resource, updated: ApiObject, opts: WaitOpts, parentId?: string): Promise<void> {
  if (opts.wait) await waitForActive(ctx.client(), res, updated, ctx.waitOptions(), parentId);
}

/** Deletes an object; with `--wait`, follows it until it is gone. `ref` is what the user typed, for the progress lines. */
export async function deleteObject(
  ctx: Context, res: Resource, id: string, ref: string, opts: WaitOpts, parentId?: string, query = '',
): Promise<void> {
  await ctx.client().remove(res, id, parentId, query);
  if (opts.wait) await waitForGone(ctx.client(), res, { id, name: ref }, ctx.waitOptions(), parentId);
}

/** Registers `show <ref>` for a resource without a parent. */
export function showCommand(noun: Command, ctx: Context, res: Resource): void {
  withPrint(noun.command('show').description(`show a ${res.title}'s details`).argument(`<${res.key}>`, `${res.title} (name or ID)`))
    .action(async (ref: string, opts: PrintOpts) => {
      const client = ctx.client();
      printShow(ctx.out, await client.get(res, await client.resolve(res, ref)), printOptions(opts));
    });
}
