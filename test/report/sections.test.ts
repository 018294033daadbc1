/**
 * The report's sections: one module per part of the report, in the report's order, each rendered
 * section named as its module.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECTIONS } from '../../src/lib/report/sections/index.js';
import { reportSections } from '../../src/lib/report/render.js';
import type { AuditReport } from '../../src/lib/report/audit.js';
import { ROOT } from '../helpers.js';

const report = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'test', 'report', 'golden', 'scenario.json'), 'utf8'),
) as AuditReport;

describe('report sections', () => {
  it('compute the report after its header, member by member, in its order', () => {
    const header = ['report', 'format_version', 'generated_at', 'tool', 'database'];
    expect([...header, ...SECTIONS.map((s) => s.key)]).toEqual(Object.keys(report));
  });

  it('render the eleven sections in order, each under its module name; the timeline is charted in others', () => {
    const rendered = reportSections(report);
    expect(rendered.map((s) => s.id)).toEqual(SECTIONS.filter((s) => s.render).map((s) => s.name));
    expect(rendered.map((s) => s.id)).toEqual([
      'scope',
      'completeness',
      'scheduling',
      'relocations',
      'reconfigurations',
      'policies',
      'inefficiencies',
      'sla',
      'cost',
      'alerts',
      'integrity',
    ]);
    expect(SECTIONS.filter((s) => !s.render).map((s) => s.key)).toEqual(['timeline']);
  });
});
