/**
 * @module scripts/check-layers — enforces STYLE.md's layer rule over src/: which top-level
 * folder may import which. Run by `npm test`; exits 1 on a violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  domain: [],
  store: ['domain'],
  drivers: ['domain'],
  service: ['domain', 'store'],
  agent: ['domain', 'store', 'drivers', 'log'],
  identity: ['domain', 'store'],
  api: ['domain', 'service', 'identity', 'log'],
  dashboard: ['domain', 'service'],
  cli: [],
  lab: ['domain', 'drivers'],
  config: [],
  log: [],
  main: ['*'],
};

/** The layer of a path relative to src/ (its top folder, or the file's base name at the root). */
export function layerOf(rel: string): string {
  const parts = rel.split('/');
  return parts.length > 1 ? parts[0]! : parts[0]!.replace(/\.ts$/, '');
}

/** Violations in a set of files (path relative to src/ → source). */
export function checkLayers(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const [file, src] of files) {
    const from = layerOf(file);
    for (const m of src.matchAll(re)) {
      const spec = m[3] ?? m[4]!;
      if (!spec.startsWith('.')) continue;
      const target = normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts');
      if (target.startsWith('..')) continue;
      const to = layerOf(target);
      if (to === from) continue;
      const allowed = ALLOWED[from] ?? [];
      if (allowed.includes('*') || allowed.includes(to)) continue;
      if (from === 'cli' && to === 'domain' && m[2]) continue;
      out.push(`src/${file}: imports ${spec} (layer ${from} may not import layer ${to})`);
    }
  }
  return out;
}

function walk(dir: string, root: string, acc: Map<string, string>): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, root, acc);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.contract.ts')) {
      acc.set(relative(root, p), readFileSync(p, 'utf8'));
    }
  }
}

if (process.argv[1]?.endsWith('check-layers.js')) {
  const root = join(process.cwd(), 'src');
  const files = new Map<string, string>();
  walk(root, root, files);
  const violations = checkLayers(files);
  for (const v of violations) process.stderr.write(`${v}\n`);
  if (violations.length > 0) process.exit(1);
  process.stdout.write(`check-layers: ${files.size} files, layer rule holds\n`);
}
