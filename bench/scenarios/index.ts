// The registry of benchmark scenarios, by the name given on the command line.

import type { Scenario } from '../harness/scenario';
import { hboneLoopback } from './hbone-loopback';

export const SCENARIOS: readonly Scenario[] = [hboneLoopback];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
