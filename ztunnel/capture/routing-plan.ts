// The policy routing of the capture (pure): from `ip -4 rule show` and `ip -4 route show table
// 133`, the `ip` commands that leave exactly one `fwmark → table 133` rule at our priority and only
// `local default dev lo` in the table — adding before deleting, so marked packets always have a route.

import { CAPTURE_MARK, ROUTE_TABLE, type CaptureRuleSet } from './rules';

export interface ShownRule {
  readonly priority: number;
  /** The rest of the line, e.g. `from all fwmark 0x100/0x100 lookup 133`. */
  readonly selector: string;
}

/** Parses `ip -4 rule show` output. */
export function parseRules(text: string): ShownRule[] {
  const out: ShownRule[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):\s+(.*\S)\s*$/.exec(line);
    if (m) out.push({ priority: Number(m[1]), selector: m[2]!.replace(/\s+/g, ' ') });
  }
  return out;
}

/** Rules of ours: whatever their priority, with our mark and table. */
function isOurs(rule: ShownRule): boolean {
  return rule.selector === `from all fwmark ${CAPTURE_MARK} lookup ${ROUTE_TABLE}`;
}

function deleteArgs(rule: ShownRule): string[] {
  return ['-4', 'rule', 'del', 'pref', String(rule.priority), 'fwmark', CAPTURE_MARK, 'lookup', String(ROUTE_TABLE)];
}

function routeLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l.length > 0);
}

/** `ip` argument lists that make the rule and route match `want` (empty: already right). */
export function planRouting(want: CaptureRuleSet, rulesShown: string, routesShown: string): string[][] {
  const commands: string[][] = [];
  const routes = routeLines(routesShown);
  const routeOk = routes.length === 1 && routes[0] === want.routeShown;
  if (!routeOk) {
    if (routes.some((r) => r !== want.routeShown)) commands.push(['-4', 'route', 'flush', 'table', String(ROUTE_TABLE)]);
    commands.push(['-4', 'route', 'replace', ...want.route]);
  }
  const ours = parseRules(rulesShown).filter(isOurs);
  const priority = Number(want.ipRule[want.ipRule.indexOf('pref') + 1]);
  const keep = ours.find((r) => r.priority === priority);
  if (!keep) commands.push(['-4', 'rule', 'add', ...want.ipRule]);
  for (const r of ours) if (r !== keep) commands.push(deleteArgs(r));
  return commands;
}

/** `ip` argument lists that remove every rule and route of ours. */
export function planRoutingRemoval(rulesShown: string, routesShown: string): string[][] {
  const commands = parseRules(rulesShown).filter(isOurs).map(deleteArgs);
  if (routeLines(routesShown).length) commands.push(['-4', 'route', 'flush', 'table', String(ROUTE_TABLE)]);
  return commands;
}

/** What of ours is still in place (empty: nothing). */
export function routingLeftovers(rulesShown: string, routesShown: string): string[] {
  return [
    ...parseRules(rulesShown).filter(isOurs).map((r) => `ip rule ${r.priority}: ${r.selector}`),
    ...routeLines(routesShown).map((r) => `route table ${ROUTE_TABLE}: ${r}`),
  ];
}
