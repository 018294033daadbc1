/** `policy_change`: the policy engine applied, changed or reverted a policy. */
import { z } from '../zod.js';
import { m, nonEmpty } from './common.js';
import { TYPED_FIELDS, type JsonObject } from './columns.js';

const version = z.union([z.string(), z.number()], { error: m('must be a string or a number') });

export const nested = z.looseObject({
  event_type: z.literal('policy_change'),
  policy: z.looseObject({ id: nonEmpty, name: nonEmpty, version: version.optional() }),
  action: z.enum(['applied', 'changed', 'reverted'], {
    error: m('must be one of applied, changed, reverted'),
  }),
  previous: z.looseObject({}).nullable().optional(),
  actor: z.string().optional(),
  reason: z.string().optional(),
});

export const flat = nested;
export const isFlat = (): boolean => false;
export const looksFlat = isFlat;

/** The typed columns of a policy change (columns.ts). */
export const fields = TYPED_FIELDS.policy_change;
export type Nested = z.infer<typeof nested>;

export function normalise(e: Nested): JsonObject {
  return { ...(e as unknown as JsonObject) };
}
