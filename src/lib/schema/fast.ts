/**
 * A fast validity check generated from a zod schema, for the ingest hot path: `compileFast(schema)`
 * walks the schema's definition (`schema._zod.def`) once and returns a plain function that says
 * true only when zod would accept the value. False means "invalid or not sure": the caller then
 * runs zod itself, which gives the verdict and the exact reason. So zod stays the one definition,
 * and anything this compiler does not know (a new kind of schema or check, coercion, defaults,
 * async refinements) is simply never fast. test/unit/fast-validator.test.ts feeds both the same
 * random valid and mutated events to hold it to that.
 */
import type { z } from '../zod.js';

/** What a compiled node gives: the value zod would output, or FAIL. */
const FAIL: unique symbol = Symbol('fail');
type Run = (v: unknown) => unknown;

/**
 * A compiled node. `exact` says FAIL only where zod fails too (needed before a union's later
 * options are tried: zod takes the first option that succeeds, so an earlier "not sure" could
 * let a later option produce a value zod never would).
 */
interface Node {
  run: Run;
  exact: boolean;
}

interface Def {
  type: string;
  [k: string]: unknown;
}
interface Internals {
  def: Def;
  optin?: string;
  optout?: string;
  values?: Set<unknown>;
}
const internals = (s: unknown): Internals => (s as { _zod: Internals })._zod;

const NOT_SURE: Node = { run: () => FAIL, exact: false };

/** One check of `def.checks` as a function of the (possibly overwritten) value, or undefined if unknown. */
function compileCheck(check: unknown): Run | undefined {
  const d = internals(check).def;
  switch (d.check) {
    case 'greater_than': {
      const min = d.value as number;
      return d.inclusive ? (v) => ((v as number) >= min ? v : FAIL) : (v) => ((v as number) > min ? v : FAIL);
    }
    case 'less_than': {
      const max = d.value as number;
      return d.inclusive ? (v) => ((v as number) <= max ? v : FAIL) : (v) => ((v as number) < max ? v : FAIL);
    }
    case 'number_format':
      return d.format === 'safeint' ? (v) => (Number.isSafeInteger(v) ? v : FAIL) : undefined;
    case 'min_length': {
      const min = d.minimum as number;
      return (v) => ((v as string).length >= min ? v : FAIL);
    }
    case 'max_length': {
      const max = d.maximum as number;
      return (v) => ((v as string).length <= max ? v : FAIL);
    }
    case 'string_format': {
      if (d.format !== 'regex') return undefined;
      const re = d.pattern as RegExp;
      return (v) => {
        re.lastIndex = 0;
        return re.test(v as string) ? v : FAIL;
      };
    }
    case 'overwrite': {
      const tx = d.tx as (v: unknown) => unknown;
      return (v) => tx(v);
    }
    case 'custom': {
      if (d.when) return undefined; // zod may skip it, we would not
      const fn = d.fn as (v: unknown) => unknown;
      return (v) => {
        const ok = fn(v);
        return ok instanceof Promise || !ok ? FAIL : v;
      };
    }
    default:
      return undefined;
  }
}

/** `typeOk` then each check in order, as zod runs them. */
function withChecks(def: Def, typeOk: (v: unknown) => boolean): Node {
  if (def.coerce) return NOT_SURE;
  const checks = ((def.checks as unknown[] | undefined) ?? []).map(compileCheck);
  if (checks.some((c) => c === undefined)) return NOT_SURE;
  const steps = checks as Run[];
  if (steps.length === 0) return { exact: true, run: (v) => (typeOk(v) ? v : FAIL) };
  return {
    exact: true,
    run: (v) => {
      if (!typeOk(v)) return FAIL;
      let out = v;
      for (let i = 0; i < steps.length; i++) if ((out = steps[i]!(out)) === FAIL) return FAIL;
      return out;
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function compileObject(def: Def): Node {
  const catchall = def.catchall === undefined ? undefined : internals(def.catchall).def.type;
  if (catchall !== undefined && catchall !== 'unknown' && catchall !== 'any') return NOT_SURE;
  const shape = def.shape as Record<string, unknown>;
  const keys = Object.keys(shape).filter((k) => k !== '__proto__');
  const props = keys.map((k) => {
    const i = internals(shape[k]);
    // An absent key is fine only where zod skips it: a plain .optional() (not defaulted).
    return { k, node: compile(shape[k]), mayBeAbsent: i.optin === 'optional' && i.optout === 'optional' };
  });
  return {
    exact: props.every((p) => p.node.exact),
    run: (v) => {
      if (!isObject(v)) return FAIL;
      for (let i = 0; i < props.length; i++) {
        const p = props[i]!;
        if (!(p.k in v)) {
          if (p.mayBeAbsent) continue;
          return FAIL;
        }
        if (p.node.run(v[p.k]) === FAIL) return FAIL;
      }
      return v; // the output object is never piped on (see compileTransform)
    },
  };
}

function compileUnion(def: Def): Node {
  if (def.inclusive === false || def.discriminator !== undefined) return NOT_SURE;
  const options = (def.options as unknown[]).map(compile);
  if (options.slice(0, -1).some((o) => !o.exact)) return NOT_SURE;
  return {
    exact: options.every((o) => o.exact),
    run: (v) => {
      for (const o of options) {
        const out = o.run(v);
        if (out !== FAIL) return out;
      }
      return FAIL;
    },
  };
}

/** A transform is run on primitives only: the compiled objects and arrays are not zod's outputs. */
function compileTransform(def: Def): Node {
  const transform = def.transform as (v: unknown, ctx: unknown) => unknown;
  return {
    exact: false,
    run: (v) => {
      if (typeof v === 'object' && v !== null) return FAIL;
      const issues: unknown[] = [];
      try {
        const out = transform(v, { value: v, issues, addIssue: (i: unknown) => issues.push(i) });
        return out instanceof Promise || issues.length ? FAIL : out;
      } catch {
        return FAIL;
      }
    },
  };
}

/** The kinds whose own `def.checks` withChecks runs; checks on any other kind are not compiled. */
const CHECKED = new Set(['string', 'number', 'boolean', 'literal', 'enum', 'unknown', 'any', 'array']);

function compile(schema: unknown): Node {
  const i = internals(schema);
  const def = i.def;
  if ((def.checks as unknown[] | undefined)?.length && !CHECKED.has(def.type)) return NOT_SURE;
  switch (def.type) {
    case 'string':
      return withChecks(def, (v) => typeof v === 'string');
    case 'number':
      return withChecks(def, (v) => typeof v === 'number' && Number.isFinite(v));
    case 'boolean':
      return withChecks(def, (v) => typeof v === 'boolean');
    case 'literal':
    case 'enum': {
      const values = i.values!;
      return withChecks(def, (v) => values.has(v));
    }
    case 'unknown':
    case 'any':
      return withChecks(def, () => true);
    case 'object':
      return compileObject(def);
    case 'array': {
      const element = compile(def.element);
      const list = withChecks(def, Array.isArray);
      return {
        exact: element.exact && list.exact,
        run: (v) =>
          list.run(v) !== FAIL && (v as unknown[]).every((e) => element.run(e) !== FAIL) ? v : FAIL,
      };
    }
    case 'union':
      return compileUnion(def);
    case 'optional': {
      if (internals(def.innerType).optin === 'defaulted') return NOT_SURE;
      const inner = compile(def.innerType);
      return { exact: inner.exact, run: (v) => (v === undefined ? v : inner.run(v)) };
    }
    case 'nullable': {
      const inner = compile(def.innerType);
      return { exact: inner.exact, run: (v) => (v === null ? v : inner.run(v)) };
    }
    case 'pipe': {
      const [from, to] = [compile(def.in), compile(def.out)];
      return {
        exact: from.exact && to.exact,
        run: (v) => {
          const mid = from.run(v);
          return mid === FAIL ? FAIL : to.run(mid);
        },
      };
    }
    case 'transform':
      return compileTransform(def);
    default:
      return NOT_SURE;
  }
}

/** A function that returns true only for values `schema` accepts (false: ask zod). */
export function compileFast(schema: z.ZodType): (value: unknown) => boolean {
  const { run } = compile(schema);
  return (value) => {
    try {
      return run(value) !== FAIL;
    } catch {
      return false; // zod will meet the same throw, or say why
    }
  };
}
