/**
 * @module identity/bootstrap — the first start of the embedded identity service: the Default
 * domain, the standard and Octavia roles, projects and users `admin` and `demo` with random
 * passwords, and the credential files clients read (`admin-openrc`, `demo-openrc`,
 * `clouds.yaml`, mode 0600). Idempotent: once the Default domain exists it changes nothing and
 * the passwords stay those of the first start.
 */
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nowTimestamp } from '../domain/time.js';
import type { IdentityStore } from '../store/identity-store.js';
import { DEFAULT_REGION } from './catalog.js';
import { DEFAULT_DOMAIN, newIdentityId } from './identity.js';
import { hashPassword, randomPassword, type KdfParams } from './password.js';

/** Keystone's default roles, then Octavia's legacy ones (octavia/common/policies/base.py). */
export const BOOTSTRAP_ROLES = [
  'admin', 'member', 'reader',
  'load-balancer_admin', 'load-balancer_member', 'load-balancer_observer',
  'load-balancer_global_observer', 'load-balancer_quota_admin',
] as const;

/** The users made on the first start: name, project (of the same name) and the role held there. */
export const BOOTSTRAP_USERS = [
  { name: 'admin', project: 'admin', role: 'admin' },
  { name: 'demo', project: 'demo', role: 'member' },
] as const;

export interface BootstrapOptions {
  /** Where the credential files go (created 0700 if missing). */
  dataDir: string;
  /** What clients put in OS_AUTH_URL: the identity URL, ending in `/v3`. */
  authUrl: string;
  /** Region written into the files (default RegionOne). */
  region?: string;
  /** Fixed passwords instead of random ones (tests, scripted installs). */
  passwords?: { admin?: string; demo?: string };
  /** scrypt cost (default: password.ts's). */
  kdf?: KdfParams;
}

export interface BootstrapResult {
  /** True on the first start (everything was created now). */
  created: boolean;
  /** The credential files, written now or found from the first start. */
  files: string[];
  /** A few lines telling the operator how to use them (no secrets). */
  message: string;
}

/** Single-quotes a value for a POSIX shell. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function openrc(authUrl: string, region: string, user: string, project: string, password: string): string {
  return [
    `# Fulcrum: credentials of user ${user} on project ${project}. Keep this file private.`,
    `# Use: source ${user}-openrc && openstack token issue`,
    `export OS_AUTH_URL=${shellQuote(authUrl)}`,
    `export OS_USERNAME=${shellQuote(user)}`,
    `export OS_PASSWORD=${shellQuote(password)}`,
    `export OS_PROJECT_NAME=${shellQuote(project)}`,
    `export OS_USER_DOMAIN_NAME=${DEFAULT_DOMAIN.name}`,
    `export OS_PROJECT_DOMAIN_NAME=${DEFAULT_DOMAIN.name}`,
    'export OS_IDENTITY_API_VERSION=3',
    `export OS_REGION_NAME=${shellQuote(region)}`,
    'export OS_INTERFACE=public',
    '',
  ].join('\n');
}

function cloudsYaml(authUrl: string, region: string, users: readonly { user: string; project: string; password: string }[]): string {
  // JSON strings are valid YAML double-quoted scalars, so every value is quoted safely.
  const q = JSON.stringify;
  const lines = ['# Fulcrum: clouds for openstack --os-cloud NAME. Keep this file private.', 'clouds:'];
  for (const u of users) {
    lines.push(
      `  fulcrum-${u.user}:`,
      '    auth:',
      `      auth_url: ${q(authUrl)}`,
      `      username: ${q(u.user)}`,
      `      password: ${q(u.password)}`,
      `      project_name: ${q(u.project)}`,
      `      user_domain_name: ${q(DEFAULT_DOMAIN.name)}`,
      `      project_domain_name: ${q(DEFAULT_DOMAIN.name)}`,
      `    region_name: ${q(region)}`,
      '    identity_api_version: 3',
      '    interface: public',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Writes a file readable by its owner only, atomically (temp file, then rename). */
function writePrivate(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function fileNames(dataDir: string): string[] {
  return [...BOOTSTRAP_USERS.map((u) => join(dataDir, `${u.name}-openrc`)), join(dataDir, 'clouds.yaml')];
}

function usage(dataDir: string): string {
  const admin = join(dataDir, 'admin-openrc');
  const clouds = join(dataDir, 'clouds.yaml');
  return `  source ${admin} && openstack token issue\n` +
    `  OS_CLIENT_CONFIG_FILE=${clouds} openstack --os-cloud fulcrum-demo loadbalancer list\n`;
}

/**
 * Creates the identity service's initial content on the first start, in one transaction that
 * holds the initialisation lock (several servers may start on one PostgreSQL at once); the files
 * are written inside it, so a failure leaves neither rows nor files behind. Later starts change
 * nothing and report where the files are.
 */
export async function bootstrapIdentity(store: IdentityStore, opts: BootstrapOptions): Promise<BootstrapResult> {
  const region = opts.region ?? DEFAULT_REGION;
  const files = fileNames(opts.dataDir);
  const created = await store.transaction(async (tx) => {
    if (await tx.getDomain(DEFAULT_DOMAIN.id)) return false;
    const now = nowTimestamp();
    await tx.createDomain({ id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name, description: 'The default domain', enabled: true, createdAt: now });
    const roleIds = new Map<string, string>();
    for (const name of BOOTSTRAP_ROLES) {
      const existing = await tx.findRoleByName(name);
      const id = existing?.id ?? newIdentityId();
      if (!existing) await tx.createRole({ id, name, description: '', createdAt: now });
      roleIds.set(name, id);
    }
    const credentials: { user: string; project: string; password: string }[] = [];
    for (const u of BOOTSTRAP_USERS) {
      const projectId = newIdentityId();
      await tx.createProject({
        id: projectId, domainId: DEFAULT_DOMAIN.id, name: u.project, description: `Bootstrap project ${u.project}`,
        enabled: true, createdAt: now, updatedAt: null,
      });
      const password = opts.passwords?.[u.name] ?? randomPassword();
      const userId = newIdentityId();
      await tx.createUser({
        id: userId, domainId: DEFAULT_DOMAIN.id, name: u.name, passwordHash: await hashPassword(password, opts.kdf),
        enabled: true, defaultProjectId: projectId, description: '', email: null, createdAt: now, updatedAt: null,
      });
      await tx.grant(userId, { type: 'project', id: projectId }, roleIds.get(u.role)!);
      credentials.push({ user: u.name, project: u.project, password });
    }
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    for (const c of credentials) writePrivate(join(opts.dataDir, `${c.user}-openrc`), openrc(opts.authUrl, region, c.user, c.project, c.password));
    writePrivate(join(opts.dataDir, 'clouds.yaml'), cloudsYaml(opts.authUrl, region, credentials));
    return true;
  }, { exclusive: true });

  if (created) {
    return {
      created,
      files,
      message: `Identity initialised: user admin (role admin on project admin) and user demo (role member on project demo).\n` +
        `Their credentials (mode 0600) are in ${files.join(', ')}:\n${usage(opts.dataDir)}`,
    };
  }
  const present = files.filter((f) => existsSync(f));
  const absent = files.filter((f) => !existsSync(f));
  return {
    created,
    files: present,
    message: `Identity already initialised; credentials from its first start are in ${present.length > 0 ? present.join(', ') : '(none found)'}.\n` +
      (absent.length > 0 ? `Not found: ${absent.join(', ')} (passwords are written only on the first start; reset one with openstack user set --password).\n` : '') +
      (present.length > 0 ? usage(opts.dataDir) : ''),
  };
}
