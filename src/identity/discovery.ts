/**
 * @module identity/discovery — Keystone's version discovery documents, which keystoneauth reads
 * before it authenticates: `{"version": …}` at `/v3` and `{"versions": {"values": […]}}` at a root.
 */

/** The Identity API version we speak (Keystone's v3.14, Ussuri and later). */
export const IDENTITY_VERSION = 'v3.14';
const UPDATED = '2020-04-07T00:00:00Z';

/** One version entry, pointing at `identityUrl` (which ends in `/v3`). */
export function versionEntry(identityUrl: string): Record<string, unknown> {
  return {
    id: IDENTITY_VERSION,
    status: 'stable',
    updated: UPDATED,
    links: [{ rel: 'self', href: `${identityUrl.replace(/\/+$/, '')}/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** The document served at `/v3`. */
export function versionDocument(identityUrl: string): { version: Record<string, unknown> } {
  return { version: versionEntry(identityUrl) };
}

/** The document a Keystone root serves (`300 Multiple Choices`), for a server that mounts identity on its own root. */
export function versionsDocument(identityUrl: string): { versions: { values: Record<string, unknown>[] } } {
  return { versions: { values: [versionEntry(identityUrl)] } };
}
