// A small argv parser for the `ambit` command: `--flag value`, `--flag=value`, boolean flags,
// positionals, and everything after `--` kept verbatim. Unknown flags are errors.

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
  rest: string[];
}

export class UsageError extends Error {}

/** `spec` maps flag name → 'bool' | 'value'; aliases like `-n` map to the long name. */
export function parseArgs(argv: readonly string[], spec: Record<string, 'bool' | 'value'>, aliases: Record<string, string> = {}): ParsedArgs {
  const out: ParsedArgs = { positionals: [], flags: new Map(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { out.rest = argv.slice(i + 1); break; }
    if (!a.startsWith('-') || a === '-') { out.positionals.push(a); continue; }
    const eq = a.indexOf('=');
    let name = eq > 0 ? a.slice(0, eq) : a;
    name = aliases[name] ?? name.replace(/^--?/, '');
    const kind = spec[name];
    if (!kind) throw new UsageError(`unknown option ${a}`);
    if (kind === 'bool') {
      if (eq > 0) throw new UsageError(`option --${name} takes no value`);
      out.flags.set(name, true);
    } else {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
      out.flags.set(name, value);
    }
  }
  return out;
}

export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || !Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, got ${String(v)}`);
  return n;
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
