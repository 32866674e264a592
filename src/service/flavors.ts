/**
 * @module service/flavors — flavor profiles and flavors, availability zone profiles and zones
 * (Octavia's two pairs of the same design: an admin-only profile holds a provider's JSON data, a
 * named object users pick refers to it). Profile data is checked against what the provider really
 * applies (its capabilities); a profile in use cannot change, so a load balancer keeps what it was
 * created with; neither can a flavor or zone in use be deleted.
 */
import { FulcrumError, validationFailure } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { AvailabilityZone, AvailabilityZoneProfile, Capability, Flavor, FlavorProfile } from '../domain/operator.js';
import type { ListQuery, Store } from '../store/store.js';
import { insertUnique, invalidOption } from './children.js';
import type { ProviderConfig } from './load-balancers.js';

/** The two profile kinds, described once. */
interface ProfileKind {
  kind: 'flavorprofile' | 'azprofile';
  title: string;
  dataField: 'flavor_data' | 'availability_zone_data';
  capabilities: (p: ProviderConfig['enabled'][number]) => readonly Capability[];
  metadata: string;
  /** The named kind that uses profiles of this kind, its profile field and title. */
  user: { kind: 'flavor' | 'availabilityzone'; field: 'flavorProfileId' | 'availabilityZoneProfileId' };
}

export const FLAVOR_PROFILES: ProfileKind = {
  kind: 'flavorprofile', title: 'Flavor profile', dataField: 'flavor_data', metadata: 'flavor metadata',
  capabilities: (p) => p.flavorCapabilities ?? [], user: { kind: 'flavor', field: 'flavorProfileId' },
};
export const ZONE_PROFILES: ProfileKind = {
  kind: 'azprofile', title: 'Availability Zone Profile', dataField: 'availability_zone_data', metadata: 'availability zone metadata',
  capabilities: (p) => p.zoneCapabilities ?? [], user: { kind: 'availabilityzone', field: 'availabilityZoneProfileId' },
};

/** A profile as the service and the wire see both kinds: the data field named generically. */
export interface ProfileView { id: string; name: string; providerName: string; data: string }

function toView(_k: ProfileKind, o: FlavorProfile | AvailabilityZoneProfile): ProfileView {
  return { id: o.id, name: o.name, providerName: o.providerName, data: 'flavorData' in o ? o.flavorData : o.availabilityZoneData };
}

function fromView(k: ProfileKind, v: ProfileView): FlavorProfile | AvailabilityZoneProfile {
  return k.kind === 'flavorprofile'
    ? { id: v.id, name: v.name, providerName: v.providerName, flavorData: v.data }
    : { id: v.id, name: v.name, providerName: v.providerName, availabilityZoneData: v.data };
}

/** The capabilities of an enabled provider (Octavia's ProviderNotEnabled otherwise). */
export function providerCapabilities(providers: ProviderConfig, name: string, which: 'flavor' | 'zone'): readonly Capability[] {
  const p = providers.enabled.find((x) => x.name === name);
  if (!p) throw new FulcrumError('VALIDATION', `Provider '${name}' is not enabled.`, { field: 'provider_name' });
  return which === 'flavor' ? p.flavorCapabilities ?? [] : p.zoneCapabilities ?? [];
}

/**
 * Parses profile data and checks it against the provider's capabilities: JSON text of an object
 * whose keys are capabilities with acceptable values (Octavia's InvalidOption for bad JSON, and
 * the provider's "does not support a requested option" for the rest, as 400 here).
 */
export function checkProfileData(k: ProfileKind, providers: ProviderConfig, providerName: string, data: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw invalidOption(data, k.dataField, k.dataField);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidOption(data, k.dataField, k.dataField);
  const p = providers.enabled.find((x) => x.name === providerName);
  if (!p) throw new FulcrumError('VALIDATION', `Provider '${providerName}' is not enabled.`, { field: 'provider_name' });
  const caps = k.capabilities(p);
  for (const [key, value] of Object.entries(parsed)) {
    const cap = caps.find((c) => c.name === key);
    const why = cap ? cap.check(value)?.why : `'${key}' is not a capability of this provider`;
    if (why !== undefined) {
      throw new FulcrumError('UNSUPPORTED_OPTION', `Provider '${providerName}' does not support a requested option: Invalid ${k.metadata}: ${why}`, {
        field: k.dataField,
      });
    }
  }
  return parsed as Record<string, unknown>;
}

function profileNotFound(k: ProfileKind, id: string): FulcrumError {
  return new FulcrumError('NOT_FOUND', `${k.title} ${id} not found.`);
}

export async function createProfile(
  store: Store, providers: ProviderConfig, k: ProfileKind, input: { name: string; providerName: string; data: string },
): Promise<ProfileView> {
  checkProfileData(k, providers, input.providerName, input.data);
  const view: ProfileView = { id: newId(), name: input.name, providerName: input.providerName, data: input.data };
  await store.transaction((tx) => tx.insert(k.kind, fromView(k, view) as never));
  return view;
}

export async function getProfile(store: Store, k: ProfileKind, id: string): Promise<ProfileView> {
  const o = await store.get(k.kind, id);
  if (!o) throw profileNotFound(k, id);
  return toView(k, o);
}

export async function listProfiles(store: Store, k: ProfileKind, query: ListQuery): Promise<ProfileView[]> {
  return (await store.list(k.kind, query)).map((o) => toView(k, o));
}

/** Changes a profile; its provider and data only while no flavor (zone) uses it. */
export async function updateProfile(
  store: Store, providers: ProviderConfig, k: ProfileKind, id: string,
  patch: { name?: string | null; providerName?: string | null; data?: string | null },
): Promise<ProfileView> {
  if (patch.name === null) throw invalidOption('None', 'name', 'name');
  if (patch.providerName === null) throw invalidOption('None', 'provider_name', 'provider_name');
  if (patch.data === null) throw invalidOption('None', k.dataField, k.dataField);
  return store.transaction(async (tx) => {
    const cur = await tx.get(k.kind, id);
    if (!cur) throw profileNotFound(k, id);
    const view = toView(k, cur);
    if (patch.data !== undefined || patch.providerName !== undefined) {
      const users = await tx.list(k.user.kind, { filters: { [k.user.field]: [id] }, limit: 1 });
      if (users.length > 0) throw new FulcrumError('IN_USE', `${k.title} ${id} is in use and cannot be modified.`);
      checkProfileData(k, providers, patch.providerName ?? view.providerName, patch.data ?? view.data);
    }
    const next: ProfileView = {
      ...view, name: patch.name ?? view.name, providerName: patch.providerName ?? view.providerName, data: patch.data ?? view.data,
    };
    await tx.update(k.kind, id, fromView(k, next) as never);
    return next;
  });
}

export async function deleteProfile(store: Store, k: ProfileKind, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    if (!await tx.get(k.kind, id)) throw profileNotFound(k, id);
    const users = await tx.list(k.user.kind, { filters: { [k.user.field]: [id] }, limit: 1 });
    if (users.length > 0) throw new FulcrumError('IN_USE', `${k.title} ${id} is in use and cannot be modified.`);
    await tx.remove(k.kind, id);
  });
}

// ---- flavors and availability zones ------------------------------------------------------------

/** The named kinds: a flavor (by id) and an availability zone (by name). */
interface NamedKind {
  kind: 'flavor' | 'availabilityzone';
  title: string;
  /** The word in Octavia's RecordAlreadyExists message. */
  field: string;
  profile: ProfileKind;
  profileField: 'flavorProfileId' | 'availabilityZoneProfileId';
  wireProfileField: string;
  /** The load balancer field that refers to it. */
  lbField: 'flavorId' | 'availabilityZone';
}

export const FLAVORS: NamedKind = {
  kind: 'flavor', title: 'Flavor', field: 'flavor', profile: FLAVOR_PROFILES, profileField: 'flavorProfileId',
  wireProfileField: 'flavor_profile_id', lbField: 'flavorId',
};
export const ZONES: NamedKind = {
  kind: 'availabilityzone', title: 'Availability Zone', field: 'availability_zone', profile: ZONE_PROFILES,
  profileField: 'availabilityZoneProfileId', wireProfileField: 'availability_zone_profile_id', lbField: 'availabilityZone',
};

/** A flavor or zone as both kinds share it. */
export interface NamedView { id: string; name: string; description: string; enabled: boolean; profileId: string }

function namedView(o: Flavor | AvailabilityZone): NamedView {
  return {
    id: o.id, name: o.name, description: o.description, enabled: o.enabled,
    profileId: 'flavorProfileId' in o ? o.flavorProfileId : o.availabilityZoneProfileId,
  };
}

function namedNotFound(k: NamedKind, id: string): FulcrumError {
  return new FulcrumError('NOT_FOUND', `${k.title} ${id} not found.`);
}

/** A flavor by id or a zone by name (zones are stored with their name as id). */
async function namedGet(store: Pick<Store, 'get'>, k: NamedKind, id: string): Promise<NamedView | undefined> {
  const o = await store.get(k.kind, id);
  return o ? namedView(o) : undefined;
}

export async function createNamed(
  store: Store, k: NamedKind, input: { name: string; description?: string; enabled?: boolean; profileId: string },
): Promise<NamedView> {
  return store.transaction(async (tx) => {
    if (!await tx.get(k.profile.kind, input.profileId)) {
      throw validationFailure(`${k.profile.title} ${input.profileId} not found.`, k.wireProfileField);
    }
    const id = k.kind === 'flavor' ? newId() : input.name;
    const view: NamedView = { id, name: input.name, description: input.description ?? '', enabled: input.enabled ?? true, profileId: input.profileId };
    const row = k.kind === 'flavor'
      ? { id, name: view.name, description: view.description, enabled: view.enabled, flavorProfileId: view.profileId }
      : { id, name: view.name, description: view.description, enabled: view.enabled, availabilityZoneProfileId: view.profileId };
    await insertUnique(tx, k.kind, row as never, () => new FulcrumError('DUPLICATE', `A ${k.field} of ${input.name} already exists.`));
    return view;
  });
}

export async function getNamed(store: Store, k: NamedKind, id: string): Promise<NamedView> {
  const v = await namedGet(store, k, id);
  if (!v) throw namedNotFound(k, id);
  return v;
}

export async function listNamed(store: Store, k: NamedKind, query: ListQuery): Promise<NamedView[]> {
  return (await store.list(k.kind, query)).map(namedView);
}

/** Changes a flavor's or zone's name (flavors only), description or enabled. */
export async function updateNamed(
  store: Store, k: NamedKind, id: string, patch: { name?: string; description?: string; enabled?: boolean },
): Promise<NamedView> {
  return store.transaction(async (tx) => {
    if (!await tx.get(k.kind, id)) throw namedNotFound(k, id);
    try {
      await tx.update(k.kind, id, patch as never);
    } catch (err) {
      if (patch.name !== undefined) throw new FulcrumError('DUPLICATE', `A ${k.field} of ${patch.name} already exists.`, { cause: err });
      throw err;
    }
    return (await namedGet(tx, k, id))!;
  });
}

export async function deleteNamed(store: Store, k: NamedKind, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    if (!await tx.get(k.kind, id)) throw namedNotFound(k, id);
    const users = await tx.list('loadbalancer', { filters: { [k.lbField]: [id] }, limit: 1 });
    if (users.length > 0) throw new FulcrumError('IN_USE', `${k.title} ${id} is in use and cannot be modified.`);
    await tx.remove(k.kind, id);
  });
}

/**
 * What a load balancer create gets from its flavor and zone: the provider (the flavor's profile's
 * when the request names none), checked to match both profiles, and the zone's settings checked
 * against this deployment's agent. Octavia's messages.
 */
export async function resolveFlavorAndZone(
  store: Pick<Store, 'get'>, providers: ProviderConfig, input: { provider?: string; flavorId?: string; availabilityZone?: string },
): Promise<{ provider: string; flavorId: string | null; availabilityZone: string | null }> {
  let provider = input.provider;
  if (input.flavorId !== undefined) {
    const flavor = await store.get('flavor', input.flavorId);
    if (!flavor) throw validationFailure('Invalid flavor_id.', 'flavor_id');
    if (!flavor.enabled) {
      throw new FulcrumError('VALIDATION', `The selected flavor is not allowed in this deployment: ${flavor.id}`, { field: 'flavor_id' });
    }
    const profile = (await store.get('flavorprofile', flavor.flavorProfileId))!;
    if (provider !== undefined && provider !== profile.providerName) {
      throw new FulcrumError('VALIDATION', `Flavor '${flavor.id}' is not compatible with provider '${provider}'`, { field: 'flavor_id' });
    }
    provider = profile.providerName;
  }
  provider ??= providers.defaultProvider;
  if (input.availabilityZone !== undefined) {
    const zone = await store.get('availabilityzone', input.availabilityZone);
    if (!zone) throw validationFailure('Invalid availability zone.', 'availability_zone');
    if (!zone.enabled) {
      throw new FulcrumError('VALIDATION', `The selected availability_zone is not allowed in this deployment: ${zone.name}`, { field: 'availability_zone' });
    }
    const profile = (await store.get('azprofile', zone.availabilityZoneProfileId))!;
    if (profile.providerName !== provider) {
      throw new FulcrumError('VALIDATION', `Availability zone '${zone.name}' is not compatible with provider '${provider}'`, { field: 'availability_zone' });
    }
    const hosts = (JSON.parse(profile.availabilityZoneData) as { hosts?: unknown }).hosts;
    if (Array.isArray(hosts) && providers.agentHost !== undefined && !hosts.includes(providers.agentHost)) {
      throw new FulcrumError('VALIDATION', `Availability zone '${zone.name}' has no network node that can host the load balancer.`, {
        field: 'availability_zone', detail: `zone hosts ${JSON.stringify(hosts)}; this agent is ${providers.agentHost}`,
      });
    }
  }
  return { provider, flavorId: input.flavorId ?? null, availabilityZone: input.availabilityZone ?? null };
}
