/**
 * The HTML audit report in a real headless browser (Debian chromium, driven
 * by playwright-core; .ci/run installs chromium when missing): the inline SVG
 * charts render with non-empty boxes and coloured pixels in a screenshot,
 * nothing is fetched from anywhere, and the page prints. A report of a store
 * with Korean text, long names and many reject reasons fits the window at
 * 1280 and 800 px: no sideways scrolling, every section reachable from the
 * navigation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildAuditReport } from '../../src/lib/report/audit.js';
import { renderHtml } from '../../src/lib/report/render.js';
import { loadSlos } from '../../src/lib/analyze/sla.js';
import { buildDb, open, scenario, tmpDir } from '../scenario.js';
import { countColour, decodePng } from './png.js';
import { buildWideDb } from './wide.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const have = fs.existsSync(CHROMIUM);
// In CI a missing browser is a failure (.ci/run installs it); on a laptop without it, skip.
const suite = have || process.env.CI ? describe : describe.skip;

/** The wide report and its screenshots are kept here for a person to look at (not removed after the run). */
const SHOTS = process.env.REPORT_SCREENSHOTS ?? path.join(os.tmpdir(), 'kcloud-log-report-screenshots');

const launch = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

let dir: string;
let file: string;
let browser: Browser | undefined;
let page: Page;
const requests: string[] = [];

suite('HTML report in headless chromium', () => {
  beforeAll(async () => {
    dir = tmpDir();
    const events = scenario({ seed: 21, hours: 30, decisionGap: 90, slow: [20, 22] });
    const db = await buildDb(dir, 'html', events);
    const store = await open(db);
    try {
      const report = await buildAuditReport(store, {
        slos: loadSlos(),
        rules: [],
        rulesSource: 'none',
        toolVersion: 'test',
        dbPath: db,
      });
      file = path.join(dir, 'audit.html');
      fs.writeFileSync(file, renderHtml(report));
    } finally {
      store.close();
    }
    browser = await launch();
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await ctx.newPage();
    const url = pathToFileURL(file).href;
    await ctx.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url, { waitUntil: 'load' });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads nothing but the file itself', () => {
    expect(requests).toEqual([pathToFileURL(file).href]);
  });

  const charts: [string, [number, number, number][]][] = [
    ['chart-latency', [[0x15, 0x65, 0xc0]]], // blue bars
    [
      'chart-decisions',
      [
        [0x15, 0x65, 0xc0],
        [0xef, 0x6c, 0x00],
      ],
    ], // blue bars, orange line
    [
      'chart-savings',
      [
        [0x2e, 0x7d, 0x32],
        [0xc6, 0x28, 0x28],
      ],
    ], // green and red bars
  ];

  for (const [id, colours] of charts) {
    it(`${id} renders: a real box, drawn marks, coloured pixels`, async () => {
      const el = page.locator(`#${id}`);
      await el.scrollIntoViewIfNeeded();
      const box = await el.boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width).toBeGreaterThan(300);
      expect(box!.height).toBeGreaterThan(100);
      const marks = await el.evaluate((svg) =>
        [...svg.querySelectorAll('rect.bar, polyline.line, circle.line')].map((m) => {
          const b = (m as SVGGraphicsElement).getBBox();
          return b.width * b.height + (m.tagName === 'polyline' ? b.width : 0);
        }),
      );
      expect(marks.filter((a) => a > 0).length, `${id}: marks with area`).toBeGreaterThan(3);
      const png = decodePng(await el.screenshot());
      expect(png.width).toBeGreaterThan(300);
      let nonWhite = 0;
      for (let i = 0; i < png.data.length; i += 4)
        if (png.data[i]! + png.data[i + 1]! + png.data[i + 2]! < 700) nonWhite++;
      expect(nonWhite).toBeGreaterThan(2000);
      for (const c of colours) expect(countColour(png, c), `${id} colour ${c}`).toBeGreaterThan(50);
    });
  }

  it('every section is there and readable', async () => {
    const titles = await page.locator('section h2').allTextContents();
    expect(titles).toHaveLength(11);
    expect(titles[0]).toBe('1. Scope');
    expect(titles.at(-1)).toBe('11. Integrity');
    const size = await page.locator('body').evaluate((b) => parseFloat(getComputedStyle(b).fontSize));
    expect(size).toBeGreaterThanOrEqual(12);
    fs.writeFileSync(path.join(dir, 'audit.png'), await page.screenshot({ fullPage: true }));
  });

  it('prints: the print stylesheet hides navigation, the charts keep their size, a PDF comes out', async () => {
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('nav').isVisible()).toBe(false);
    const box = await page.locator('#chart-savings').boundingBox();
    expect(box!.height).toBeGreaterThan(100);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(20_000);
    await page.emulateMedia({ media: 'screen' });
  });
});

/** What the page looks like at one viewport width: overflow, headings, navigation links. */
interface Layout {
  innerWidth: number;
  scrollWidth: number;
  headings: { text: string; left: number; right: number; width: number; height: number }[];
  links: { text: string; target: boolean; left: number; right: number; width: number; height: number }[];
  /** Table containers wider than their content box (they scroll inside themselves). */
  scrolling: string[];
}

suite('HTML report of a wide store: fits the window, every section reachable', () => {
  let wdir: string;
  let wfile: string;
  let wbrowser: Browser | undefined;

  beforeAll(async () => {
    wdir = tmpDir();
    const { db } = await buildWideDb(wdir);
    const store = await open(db);
    try {
      const report = await buildAuditReport(store, {
        slos: loadSlos(),
        rules: [],
        rulesSource: 'none',
        toolVersion: 'test',
        dbPath: path.join(wdir, 'a-database-directory-with-a-rather-long-name', 'kcloud-운영-로그.duckdb'),
        listLimit: 12,
      });
      fs.mkdirSync(SHOTS, { recursive: true });
      wfile = path.join(SHOTS, 'audit-wide.html');
      fs.writeFileSync(wfile, renderHtml(report));
    } finally {
      store.close();
    }
    wbrowser = await launch();
  }, 180_000);

  afterAll(async () => {
    await wbrowser?.close();
    if (wdir) fs.rmSync(wdir, { recursive: true, force: true });
  });

  async function layout(width: number): Promise<{ page: Page; l: Layout }> {
    const ctx = await wbrowser!.newContext({ viewport: { width, height: 800 } });
    const p = await ctx.newPage();
    await p.goto(pathToFileURL(wfile).href, { waitUntil: 'load' });
    const l = await p.evaluate((): Layout => {
      const box = (e: Element) => {
        const r = e.getBoundingClientRect();
        return { left: r.left, right: r.right, width: r.width, height: r.height };
      };
      return {
        innerWidth: window.innerWidth,
        scrollWidth: document.scrollingElement!.scrollWidth,
        headings: [...document.querySelectorAll('section h2')].map((h) => ({
          text: h.textContent ?? '',
          ...box(h),
        })),
        links: [...document.querySelectorAll('nav a')].map((a) => ({
          text: a.textContent ?? '',
          target: !!document.getElementById((a.getAttribute('href') ?? '').replace(/^#/, '')),
          ...box(a),
        })),
        scrolling: [...document.querySelectorAll('.tw')]
          .filter((d) => d.scrollWidth > d.clientWidth)
          .map((d) => d.previousElementSibling?.textContent ?? d.closest('section')?.id ?? '?'),
      };
    });
    return { page: p, l };
  }

  for (const width of [1280, 800]) {
    it(`at ${width} px: no sideways scrolling; every heading and navigation link inside the window`, async () => {
      const { page: p, l } = await layout(width);
      fs.writeFileSync(path.join(SHOTS, `audit-wide-${width}.png`), await p.screenshot({ fullPage: true }));
      expect(l.innerWidth).toBe(width);
      expect(l.scrollWidth, 'page wider than the window').toBeLessThanOrEqual(l.innerWidth);
      if (width === 1280) expect(l.scrolling, 'tables scrolling inside their box').toEqual([]);
      expect(l.headings.map((h) => h.text)).toEqual(l.links.map((a) => a.text));
      expect(l.headings).toHaveLength(11);
      for (const h of [...l.headings, ...l.links]) {
        expect(h.width * h.height, h.text).toBeGreaterThan(0);
        expect(h.left, h.text).toBeGreaterThanOrEqual(0);
        expect(h.right, h.text).toBeLessThanOrEqual(width);
      }
      for (const a of l.links) expect(a.target, a.text).toBe(true);
      // Following each link brings its section's heading into the window.
      for (const [i, a] of l.links.entries()) {
        await p.locator('nav a').nth(i).click();
        await expect
          .poll(
            () =>
              p
                .locator('section h2')
                .nth(i)
                .evaluate((h) => h.getBoundingClientRect().top),
            {
              message: a.text,
            },
          )
          .toBeGreaterThanOrEqual(0);
        const top = await p
          .locator('section h2')
          .nth(i)
          .evaluate((h) => h.getBoundingClientRect().top);
        expect(top, a.text).toBeLessThan(800);
        await p.evaluate(() => window.scrollTo(0, 0));
      }
      await p.context().close();
    });
  }
});
