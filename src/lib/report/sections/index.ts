/**
 * The report's sections, in the report's order: each module computes its part of the report
 * (audit.ts runs them) and renders its blocks (render.ts shows them).
 */
import type { PartKey } from '../types.js';
import { scope } from './scope.js';
import { completeness } from './completeness.js';
import { scheduling } from './scheduling.js';
import { relocations } from './relocations.js';
import { reconfigurations } from './reconfigurations.js';
import { policies } from './policies.js';
import { inefficiencies } from './inefficiencies.js';
import { sla } from './sla.js';
import { cost } from './cost.js';
import { alerts } from './alerts.js';
import { timeline } from './timeline.js';
import { integrity } from './integrity.js';

export const SECTIONS = [
  scope,
  completeness,
  scheduling,
  relocations,
  reconfigurations,
  policies,
  inefficiencies,
  sla,
  cost,
  alerts,
  timeline,
  integrity,
] as const;

/** Every part of the report has its section (a compile error names the one missing). */
const _complete: Record<Exclude<PartKey, (typeof SECTIONS)[number]['key']>, never> = {};
