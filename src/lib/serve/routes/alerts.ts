/**
 * Alerts: the active ones (`alerts`, without the resolved), and the stored rules (`alerts rules
 * list|add|remove`). Adding and removing rules are writes, through the store's one writer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UsageError } from '../../errors.js';
import { describeRules, evaluateAlerts } from '../../alerts/evaluate.js';
import { parseRules, selectRules } from '../../alerts/rules.js';
import { addRules, listStoredRules, loadStoredRules, removeRules } from '../../alerts/store.js';
import { DEFAULT_EVENT_LIMIT } from '../../alerts/evaluate.js';
import { ruleCondition } from '../../alerts/evaluate.js';
import { paramName, Query, type RawQuery } from '../query.js';
import type { RouteContext } from '../server.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: RawQuery; Body: unknown }>;

export function alertRoutes(ctx: RouteContext) {
  return async (app: FastifyInstance) => {
    app.get('/alerts/active', async (req: Req) => {
      const q = new Query(req.query);
      const names = q.many('rule');
      const { since, until: at } = q.timeRange('since', 'at');
      const limit = q.count('limit', 0) ?? DEFAULT_EVENT_LIMIT;
      q.done();
      const result = await ctx.read(async (store) => {
        const { rules, errors } = selectRules(await loadStoredRules(store, ctx.slos), names, paramName);
        return evaluateAlerts(store, rules, ctx.slos, { at, from: since, limit }, errors);
      });
      return { ...result, alerts: result.alerts.filter((a) => a.state !== 'resolved') };
    });

    app.get('/alerts/rules', async (req: Req) => {
      new Query(req.query).done();
      return { rules: describeRules(await ctx.read(listStoredRules)) };
    });

    app.post('/alerts/rules', async (req: Req) => {
      const q = new Query(req.query);
      const replace = q.flag('replace');
      q.done();
      const body = req.body;
      if (body === undefined || body === null)
        throw new UsageError('expected a JSON rule, a list of rules, or {"rules": [...]} as the body');
      // one rule (an object with a name), or a rules document as in a rules file
      const doc = typeof body === 'object' && !Array.isArray(body) && 'name' in body ? [body] : body;
      const rules = parseRules(doc, 'body', ctx.slos);
      const res = await ctx.shared.write((store) => addRules(store, rules, 'http', replace));
      return {
        ...res,
        rules: rules.map((r) => ({ name: r.name, kind: r.kind, condition: ruleCondition(r), spec: r.spec })),
      };
    });

    app.delete('/alerts/rules/:name', async (req: Req) => {
      new Query(req.query).done();
      const removed = await ctx.shared.write((store) => removeRules(store, [req.params.name!]));
      return { removed };
    });
  };
}
