// A minimal stand-in for the `reflect-metadata` polyfill: @peculiar/x509 loads tsyringe, which
// refuses to load unless `Reflect.getMetadata` exists. Import this module before @peculiar/x509.
// Installs nothing when a real polyfill is already present.

type Key = string | symbol | undefined;
const store = new WeakMap<object, Map<Key, Map<unknown, unknown>>>();

function own(target: object, property: Key, create: boolean): Map<unknown, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let entries = byProperty.get(property);
  if (!entries && create) {
    entries = new Map();
    byProperty.set(property, entries);
  }
  return entries;
}

function lookup(key: unknown, target: object, property: Key): { found: boolean; value: unknown } {
  for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
    const entries = own(t, property, false);
    if (entries?.has(key)) return { found: true, value: entries.get(key) };
  }
  return { found: false, value: undefined };
}

const api = {
  defineMetadata(key: unknown, value: unknown, target: object, property?: Key): void {
    own(target, property, true)?.set(key, value);
  },
  getOwnMetadata(key: unknown, target: object, property?: Key): unknown {
    return own(target, property, false)?.get(key);
  },
  hasOwnMetadata(key: unknown, target: object, property?: Key): boolean {
    return own(target, property, false)?.has(key) ?? false;
  },
  getMetadata(key: unknown, target: object, property?: Key): unknown {
    return lookup(key, target, property).value;
  },
  hasMetadata(key: unknown, target: object, property?: Key): boolean {
    return lookup(key, target, property).found;
  },
  metadata(key: unknown, value: unknown) {
    return (target: object, property?: Key): void => api.defineMetadata(key, value, target, property);
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  for (const [name, fn] of Object.entries(api)) {
    Object.defineProperty(Reflect, name, { value: fn, writable: true, configurable: true });
  }
}

export {};
