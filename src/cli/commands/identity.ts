/**
 * @module cli/commands/identity — `fulcrum identity project|user|role …`: the embedded identity
 * service's projects, users, roles and role assignments, through its Keystone v3 API (the one the
 * session logged in at), as `openstack project|user|role …` would.
 */
import type { Command } from 'commander';
import type { ApiClient, Resource } from '../client.js';
import { printList, printShow, type Column } from '../output.js';
import { given, printOptions, withEnable, withPrint, type Context, type EnableOpts, type PrintOpts } from './common.js';

/** Keystone IDs: 32 hex digits (and the `default` domain). */
const KEYSTONE_ID = /^([0-9a-f]{32}|default)$/;
const keystone = (key: string, plural: string): Resource => ({ key, plural, title: key, path: () => `/${plural}`, idPattern: KEYSTONE_ID });

const PROJECT = keystone('project', 'projects');
const USER = keystone('user', 'users');
const ROLE = keystone('role', 'roles');

const ID_NAME: readonly Column[] = [{ field: 'id', header: 'ID' }, { field: 'name', header: 'Name' }];

const enabled = (opts: EnableOpts): { enabled?: boolean } => (opts.disable ? { enabled: false } : opts.enable ? { enabled: true } : {});

/** A noun's `list`, `show` and `delete`, the same for projects, users and roles. */
function common(noun: Command, ctx: Context, res: Resource): void {
  withPrint(noun.command('list').description(`list ${res.plural}`))
    .option('--name <name>', `list only ${res.plural} with this name`)
    .action(async (opts: PrintOpts & { name?: string }) => {
      printList(ctx.out, await ctx.identityClient().list(res, given({ name: opts.name }) as Record<string, string>), ID_NAME, printOptions(opts));
    });
  withPrint(noun.command('show').description(`show a ${res.title}'s details`).argument(`<${res.key}>`, `${res.title} (name or ID)`))
    .action(async (ref: string, opts: PrintOpts) => {
      const client = ctx.identityClient();
      printShow(ctx.out, await client.get(res, await client.resolve(res, ref)), printOptions(opts));
    });
  noun.command('delete').description(`delete ${res.plural}`).argument(`<${res.key}...>`, `${res.plural} to delete (names or IDs)`)
    .action(async (refs: string[]) => {
      const client = ctx.identityClient();
      for (const ref of refs) await client.remove(res, await client.resolve(res, ref));
    });
}

/** `PUT|DELETE /v3/projects/{p}/users/{u}/roles/{r}`: one role assignment. */
async function assignment(client: ApiClient, method: 'PUT' | 'DELETE', role: string, opts: { user: string; project: string }): Promise<void> {
  const [r, u, p] = [await client.resolve(ROLE, role), await client.resolve(USER, opts.user), await client.resolve(PROJECT, opts.project)];
  await client.request(method, `/projects/${encodeURIComponent(p)}/users/${encodeURIComponent(u)}/roles/${encodeURIComponent(r)}`);
}

/** Registers the `identity` noun with its `project`, `user`, `role` sub-nouns. */
export function registerIdentity(program: Command, ctx: Context): void {
  const identity = program.command('identity').description('projects, users and roles of the identity service (Keystone v3)');

  const project = identity.command('project').description('projects');
  withEnable(withPrint(project.command('create').description('create a project')), 'project')
    .argument('<name>', 'new project name')
    .option('--description <text>', 'project description')
    .option('--domain <domain>', 'owning domain (ID)', 'default')
    .action(async (name: string, opts: PrintOpts & EnableOpts & { description?: string; domain: string }) => {
      const created = await ctx.identityClient().create(PROJECT, { name, domain_id: opts.domain, ...given({ description: opts.description }), ...enabled(opts) });
      printShow(ctx.out, created, printOptions(opts));
    });
  withEnable(project.command('set').description('set project properties'), 'project')
    .argument('<project>', 'project to modify (name or ID)')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .action(async (ref: string, opts: EnableOpts & { name?: string; description?: string }) => {
      const client = ctx.identityClient();
      await client.update(PROJECT, await client.resolve(PROJECT, ref), { ...given({ name: opts.name, description: opts.description }), ...enabled(opts) });
    });
  common(project, ctx, PROJECT);

  const user = identity.command('user').description('users');
  withEnable(withPrint(user.command('create').description('create a user')), 'user')
    .argument('<name>', 'new user name')
    .option('--password <password>', "the user's password")
    .option('--project <project>', 'default project (name or ID)')
    .option('--email <email>', 'email address')
    .option('--description <text>', 'user description')
    .option('--domain <domain>', 'owning domain (ID)', 'default')
    .action(async (name: string, opts: PrintOpts & EnableOpts & { password?: string; project?: string; email?: string; description?: string; domain: string }) => {
      const client = ctx.identityClient();
      const projectId = opts.project === undefined ? undefined : await client.resolve(PROJECT, opts.project);
      const created = await client.create(USER, {
        name, domain_id: opts.domain, ...given({ password: opts.password, default_project_id: projectId, email: opts.email, description: opts.description }), ...enabled(opts),
      });
      printShow(ctx.out, created, printOptions(opts));
    });
  withEnable(user.command('set').description('set user properties'), 'user')
    .argument('<user>', 'user to modify (name or ID)')
    .option('--name <name>', 'new name')
    .option('--password <password>', 'new password')
    .option('--project <project>', 'new default project (name or ID)')
    .option('--email <email>', 'new email address')
    .action(async (ref: string, opts: EnableOpts & { name?: string; password?: string; project?: string; email?: string }) => {
      const client = ctx.identityClient();
      const projectId = opts.project === undefined ? undefined : await client.resolve(PROJECT, opts.project);
      await client.update(USER, await client.resolve(USER, ref), { ...given({ name: opts.name, password: opts.password, default_project_id: projectId, email: opts.email }), ...enabled(opts) });
    });
  common(user, ctx, USER);

  const role = identity.command('role').description('roles and role assignments');
  withPrint(role.command('create').description('create a role')).argument('<name>', 'new role name')
    .action(async (name: string, opts: PrintOpts) => {
      printShow(ctx.out, await ctx.identityClient().create(ROLE, { name }), printOptions(opts));
    });
  role.command('add').description('give a user a role on a project')
    .argument('<role>', 'role (name or ID)')
    .requiredOption('--user <user>', 'user (name or ID)')
    .requiredOption('--project <project>', 'project (name or ID)')
    .action(async (ref: string, opts: { user: string; project: string }) => assignment(ctx.identityClient(), 'PUT', ref, opts));
  role.command('remove').description("take a user's role on a project away (their tokens lose it at once)")
    .argument('<role>', 'role (name or ID)')
    .requiredOption('--user <user>', 'user (name or ID)')
    .requiredOption('--project <project>', 'project (name or ID)')
    .action(async (ref: string, opts: { user: string; project: string }) => assignment(ctx.identityClient(), 'DELETE', ref, opts));
  withPrint(role.command('assignments').description('list role assignments (by name)'))
    .option('--user <user>', 'only this user\'s (name or ID)')
    .option('--project <project>', 'only on this project (name or ID)')
    .action(async (opts: PrintOpts & { user?: string; project?: string }) => {
      const client = ctx.identityClient();
      const qs = new URLSearchParams({ include_names: 'true' });
      if (opts.user !== undefined) qs.set('user.id', await client.resolve(USER, opts.user));
      if (opts.project !== undefined) qs.set('scope.project.id', await client.resolve(PROJECT, opts.project));
      const body = (await client.request('GET', `/role_assignments?${qs.toString()}`)) as { role_assignments: Record<string, any>[] };
      const rows = body.role_assignments.map((a) => ({
        role: a.role?.name ?? a.role?.id, user: a.user?.name ?? a.user?.id ?? '', project: a.scope?.project?.name ?? a.scope?.project?.id ?? '',
        domain: a.scope?.domain?.name ?? a.scope?.domain?.id ?? '',
      }));
      printList(ctx.out, rows, [{ field: 'role', header: 'Role' }, { field: 'user', header: 'User' }, { field: 'project', header: 'Project' }, { field: 'domain', header: 'Domain' }], printOptions(opts));
    });
  common(role, ctx, ROLE);
}
