// Browser test of the bureau's sales desk, run by the Go test TestDeskSalesInChromium:
//   BASE=http://127.0.0.1:PORT CLERK=login PASSWORD=pw PARCEL=ID RESERVE=wan SHOTS=DIR node web/e2e/desk-sales.mjs
// A clerk signs in in headless Chromium (Debian's, through playwright-core),
// creates a 挂牌 sale of a compliant parcel with a secret reserve, previews
// the announcement in working days and announces it, approves the three
// companies that registered on /register, records their deposits,
// qualifies two and refuses one; the two bid through the API with their
// sessions while the clerk's live monitor shows them by name; the sale
// closes by its clock; the clerk issues and prints the confirmation letter
// (A4), runs the publicity, records the contract and a payment, and checks
// the audit. axe-core checks every page; the sale page is also seen at a
// phone's size. Screenshots of every page go to SHOTS. Prints one JSON line
// with what it saw; exits non-zero on any failure.
import { launchPagesBrowser } from './browser.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const { BASE, CLERK, PASSWORD, PARCEL, RESERVE, SHOTS, COMPANIES } = process.env;
if (!BASE || !CLERK || !PASSWORD || !PARCEL || !RESERVE || !SHOTS || !COMPANIES) {
  console.error('usage: BASE=... CLERK=... PASSWORD=... PARCEL=ID RESERVE=wan SHOTS=DIR COMPANIES=json node desk-sales.mjs');
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });
const result = { errors: [], offsite: [], axe: [], pages: [], steps: [] };
const t0 = Date.now();
const step = (s) => result.steps.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${s}`);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
// beijing writes a time for a datetime-local field, in Beijing time.
const beijing = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 19);

const { browser, context, check, text } = await launchPagesBrowser(result, BASE, SHOTS);
const setValue = (page, sel, v) => page.$eval(sel, (e, v) => { e.value = v; }, v);
// submit clicks a button that sends a form and waits for the next page.
async function submit(page, sel) {
  await Promise.all([page.waitForNavigation(), page.click(sel)]);
}

try {
  const companies = JSON.parse(COMPANIES);
  const pw = PASSWORD;
  const clerkCtx = await context({ viewport: { width: 1280, height: 900 } });
  const clerk = await clerkCtx.newPage();
  await clerk.goto(BASE + '/desk/sales');
  await check(clerk, 'desk-login');
  await clerk.fill('#login', CLERK);
  await clerk.fill('#password', pw);
  await submit(clerk, 'main button[type=submit]');
  result.afterLogin = new URL(clerk.url()).pathname;
  await check(clerk, 'desk-sales');
  step('signed in');

  // 1. Create the sale: a typo first, then the figures.
  await clerk.selectOption('#parcel_id', PARCEL);
  await clerk.selectOption('#method', 'listing');
  await clerk.fill('#increment', '十万');
  await clerk.fill('#deposit', '100');
  await submit(clerk, '#create-sale button[type=submit]');
  result.createError = await text(clerk, '#page-error');
  await check(clerk, 'desk-sales-error');
  await clerk.fill('#increment', '10');
  await clerk.fill('#deposit', '100');
  await clerk.fill('#reserve', RESERVE);
  await submit(clerk, '#create-sale button[type=submit]');
  const salePath = new URL(clerk.url()).pathname;
  result.sale = Number(salePath.split('/').pop());
  result.draft = await text(clerk, 'main');
  await check(clerk, 'desk-sale-draft');
  step('created');

  // 2. Preview the announcement, then announce.
  const now = Date.now();
  const applyStart = now + 10000, applyEnd = now + 70000;
  const windows = { apply_start: applyStart, apply_end: applyEnd, deposit_deadline: applyEnd, bidding_start: applyEnd, bidding_end: applyEnd + 10000 };
  for (const [k, v] of Object.entries(windows)) await setValue(clerk, '#' + k, beijing(v));
  await submit(clerk, '#announce-form button[value=preview]');
  result.preview = await text(clerk, '#preview');
  await check(clerk, 'desk-sale-preview');
  await submit(clerk, '#announce-form button[value=announce]');
  result.announced = await text(clerk, '#sale-state');
  step('announced');

  // 3. Approve the three companies.
  await clerk.goto(BASE + '/desk/accounts');
  result.pending = await text(clerk, '#pending');
  await check(clerk, 'desk-accounts');
  for (let i = 0; i < companies.length; i++) await submit(clerk, '#pending button[type=submit]');
  result.pendingAfter = await text(clerk, '#pending');
  step('approved');

  // 4. The companies apply on the sale's page.
  while (Date.now() < applyStart + 300) await sleep(100);
  for (const c of companies) {
    const ctx = await context({ viewport: { width: 1280, height: 900 } });
    c.page = await ctx.newPage();
    await c.page.goto(`${BASE}/login?next=/sales/${result.sale}`);
    await c.page.fill('#login', c.email);
    await c.page.fill('#password', pw);
    await submit(c.page, 'main button[type=submit]');
    await submit(c.page, '#apply');
  }
  step('applied');

  // 5. Deposits, two qualified, one refused with a reason.
  await clerk.goto(BASE + salePath);
  await check(clerk, 'desk-sale-applications');
  for (const c of companies) {
    const row = `#participants tr[data-bidder="${c.name}"]`;
    await clerk.fill(`${row} .deposit-form input[name=amount]`, '100');
    await submit(clerk, `${row} .deposit-form button`);
  }
  for (const c of companies.slice(0, 2)) {
    await submit(clerk, `#participants tr[data-bidder="${c.name}"] .qualify-form button[value="1"]`);
  }
  const refused = `#participants tr[data-bidder="${companies[2].name}"]`;
  await clerk.fill(`${refused} .qualify-form input[name=reason]`, '营业执照已过有效期');
  await submit(clerk, `${refused} .qualify-form button[value="0"]`);
  result.queue = await text(clerk, '#participants');
  await check(clerk, 'desk-sale-reviewed');
  step('reviewed');

  // 6. Two companies bid through the API; the monitor names them live.
  while (Date.now() < applyEnd + 500) await sleep(100);
  for (const [i, c] of companies.slice(0, 2).entries()) {
    await c.page.goto(`${BASE}/sales/${result.sale}/room`);
    const r = await c.page.evaluate(async ({ id, raise }) => {
      const res = await fetch(`/api/v1/sales/${id}/bids`, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content },
        body: JSON.stringify({ raise }),
      });
      return res.status;
    }, { id: result.sale, raise: i + 1 });
    if (r >= 300) throw new Error(`${c.name}'s bid: ${r}`);
  }
  await clerk.waitForFunction((name) => { const b = document.getElementById('bids'); return b && b.textContent.includes(name); },
    companies[1].name, { timeout: 15000 });
  result.monitor = await text(clerk, '#live');
  await check(clerk, 'desk-sale-monitor');
  step('bids seen');
  await clerk.waitForSelector('#result-text', { timeout: 60000 });
  result.closed = await text(clerk, '#result-text');
  await check(clerk, 'desk-sale-closed');
  step('closed');

  // 7. The letter, printed on A4.
  await submit(clerk, '#confirm-button');
  const letter = await clerkCtx.newPage();
  await letter.goto(`${BASE}/desk/sales/${result.sale}/letter`);
  result.letter = await text(letter, 'body');
  await check(letter, 'desk-letter');
  await letter.emulateMedia({ media: 'print' });
  const pdf = await letter.pdf({ format: 'A4', path: join(SHOTS, 'desk-letter.pdf') });
  result.letterPdfBytes = pdf.length;
  await letter.close();
  step('letter');

  // 8. Publicity, contract, a payment.
  await submit(clerk, '#documents ~ form button');
  result.publicity = await text(clerk, '#publicity');
  await check(clerk, 'desk-sale-publicity');
  const sale = await clerk.evaluate(async (id) => (await fetch(`/api/v1/sales/${id}`)).json(), result.sale);
  while (Date.now() < Date.parse(sale.publicity_end) + 300) await sleep(100);
  const price = sale.result.price.yuan, first = Math.floor(price / 2);
  const wan = (y) => `${Math.floor(y / 10000)}.${String(y % 10000).padStart(4, '0')}`;
  await clerk.goto(BASE + salePath);
  await clerk.fill('#contract-ref', '驻自然资采矿出〔2026〕1号');
  await clerk.fill('#contract-plan', `2027-03-31 ${wan(first)}\n2027-09-30 ${wan(price - first)}`);
  await submit(clerk, '#contract-form button');
  await clerk.fill('#pay-amount', '1000');
  await clerk.fill('#pay-ref', 'BOC-0001');
  await submit(clerk, '#payment-form button');
  result.contract = await text(clerk, '#contract ~ p') + ' ' + await text(clerk, '#payments');
  await check(clerk, 'desk-sale-contract');
  step('contract');

  // 9. The audit, and the sale at a phone's size.
  await clerk.goto(`${BASE}/desk/audit?sale_id=${result.sale}`);
  result.audit = await text(clerk, '#audit-verdict');
  await check(clerk, 'desk-audit');
  const phone = await (await context({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })).newPage();
  await phone.goto(`${BASE}/login?next=${salePath}`);
  await phone.fill('#login', CLERK);
  await phone.fill('#password', pw);
  await submit(phone, 'main button[type=submit]');
  await check(phone, 'desk-sale-phone');
  result.phoneOverflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  step('audit, phone');
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify(result));
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
