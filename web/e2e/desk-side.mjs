// Browser test of the desk's forms that change a sale for everyone, run by
// the Go test TestDeskSideExitsInChromium:
//   BASE=http://127.0.0.1:PORT CLERK=login PASSWORD=pw LIVE=ID SOLD=ID SHOTS=DIR node web/e2e/desk-side.mjs
// A clerk signs in; on an announced sale (LIVE) suspends it with a reason
// after ticking the confirmation, resumes it, and terminates it; on a sold
// sale in its publicity with an objection (SOLD) answers the objection,
// records the winner's default and creates the re-offer. axe-core checks
// every page, each page's text is searched for English words, and a
// screenshot of each is kept in SHOTS. Prints one JSON line with what it
// saw; exits non-zero on any failure.
import { launchPagesBrowser, latinWords } from './browser.mjs';
import { mkdirSync } from 'node:fs';

const { BASE, CLERK, PASSWORD, LIVE, SOLD, SHOTS } = process.env;
if (!BASE || !CLERK || !PASSWORD || !LIVE || !SOLD || !SHOTS) {
  console.error('usage: BASE=... CLERK=... PASSWORD=... LIVE=ID SOLD=ID SHOTS=DIR node desk-side.mjs');
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });
const result = { errors: [], offsite: [], axe: [], pages: [], steps: [], latin: [] };
const t0 = Date.now();
const step = (s) => result.steps.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${s}`);

const { browser, context, check, text } = await launchPagesBrowser(result, BASE, SHOTS);
async function submit(page, sel) {
  await Promise.all([page.waitForNavigation(), page.click(sel)]);
}
// seen checks a page with axe-core, keeps its screenshot and records any
// English word on it.
async function seen(page, name) {
  await check(page, name);
  for (const w of await latinWords(page)) result.latin.push(`${name}: ${w}`);
}
const flash = async (page) => ((await page.$('.flash')) ? text(page, '.flash') : '');

try {
  const ctx = await context({ viewport: { width: 1280, height: 900 } });
  const clerk = await ctx.newPage();
  await clerk.goto(`${BASE}/desk/sales/${LIVE}`);
  await clerk.fill('#login', CLERK);
  await clerk.fill('#password', PASSWORD);
  await submit(clerk, 'main button[type=submit]');
  await seen(clerk, 'desk-side-live');
  step('signed in');

  // Suspend: the browser will not send the form before the box is ticked.
  await clerk.fill('#suspend-reason', '收到对出让地块权属的书面异议，需核查');
  await clerk.click('#suspend-form button[type=submit]');
  result.unconfirmedStays = new URL(clerk.url()).pathname === `/desk/sales/${LIVE}` &&
    await clerk.$eval('#suspend-confirm', (e) => !e.checked && !e.validity.valid);
  await clerk.check('#suspend-confirm');
  await submit(clerk, '#suspend-form button[type=submit]');
  result.suspended = { flash: await flash(clerk), state: await text(clerk, '#sale-state'), reason: await text(clerk, '#suspension-reason') };
  await seen(clerk, 'desk-side-suspended');
  step('suspended');

  await clerk.fill('#resume-reason', '权属异议已核查，不影响出让');
  await clerk.check('#resume-confirm');
  await submit(clerk, '#resume-form button[type=submit]');
  result.resumed = { flash: await flash(clerk), state: await text(clerk, '#sale-state') };
  await seen(clerk, 'desk-side-resumed');
  step('resumed');

  await clerk.fill('#terminate-reason', '出让地块范围内发现未查明的压覆情况');
  await clerk.check('#terminate-confirm');
  await submit(clerk, '#terminate-form button[type=submit]');
  result.terminated = { flash: await flash(clerk), state: await text(clerk, '#sale-state'), reason: await text(clerk, '#end-reason'),
    formsLeft: (await clerk.$$('#suspend-form, #resume-form, #terminate-form')).length };
  await seen(clerk, 'desk-side-terminated');
  step('terminated');

  // The sold sale: answer the objection, record the default, re-offer.
  await clerk.goto(`${BASE}/desk/sales/${SOLD}`);
  await seen(clerk, 'desk-side-objection');
  await clerk.fill('#objections input[name=outcome]', '经核查，竞买过程符合出让规则，异议不成立');
  await submit(clerk, '#objections button[type=submit]');
  result.answered = { flash: await flash(clerk), objections: await text(clerk, '#objections') };
  await seen(clerk, 'desk-side-answered');
  step('objection answered');

  await clerk.fill('#default-reason', '竞得人逾期未签订出让合同');
  await clerk.check('#default-confirm');
  await submit(clerk, '#default-form button[type=submit]');
  result.defaulted = { flash: await flash(clerk), state: await text(clerk, '#sale-state') };
  await seen(clerk, 'desk-side-defaulted');
  step('default recorded');

  await clerk.selectOption('#re-method', 'auction');
  await submit(clerk, '#reoffer button[type=submit], form[action$="/reoffer"] button[type=submit]');
  result.reoffer = { url: new URL(clerk.url()).pathname, flash: await flash(clerk), title: await text(clerk, 'main h1'), state: await text(clerk, '#sale-state') };
  await seen(clerk, 'desk-side-reoffer');
  step('re-offered');
  console.log(JSON.stringify(result));
} catch (e) {
  result.failedAt = e && e.message;
  console.log(JSON.stringify(result));
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
