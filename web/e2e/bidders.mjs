// Browser test of the bidders' pages, run by the Go test TestBiddersInChromium:
//   BASE=http://127.0.0.1:PORT BUREAU=mrt_... LISTING=ID TENDER=ID SHOTS=DIR node web/e2e/bidders.mjs
// Three companies register in headless Chromium (Debian's, through
// playwright-core), the bureau approves them and announces a 挂牌 sale and a
// 招标 sale through the API, each company applies on the sale's page; they
// bid in the sale room (一键加价, a typed amount, and a bid in the last
// seconds of the countdown), the outbid company sees it, the sale closes,
// the winner prints the confirmation letter, a loser and a visitor cannot
// open it; the tender runs through the sealed-bid form. axe-core checks
// every page; one company uses a phone-sized screen. Screenshots of every
// page go to SHOTS. Prints one JSON line with what it saw; exits non-zero on
// any failure.
import { failed, launchPagesBrowser } from './browser.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const { BASE, BUREAU, LISTING, TENDER, SHOTS } = process.env;
if (!BASE || !BUREAU || !LISTING || !TENDER || !SHOTS) {
  console.error('usage: BASE=... BUREAU=... LISTING=ID TENDER=ID SHOTS=DIR node bidders.mjs');
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });
const result = { errors: [], offsite: [], axe: [], pages: [], steps: [] };
const t0 = Date.now();
const step = (s) => result.steps.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${s}`);

async function api(method, path, body) {
  const res = await fetch(BASE + path, {
    method, headers: { Authorization: 'Bearer ' + BUREAU, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
function wan(yuan) {
  const frac = String(yuan % 10000).padStart(4, '0').replace(/0+$/, '');
  return Math.floor(yuan / 10000) + '.' + (frac.length < 2 ? (frac + '00').slice(0, 2) : frac);
}

const { browser, context, check, text } = await launchPagesBrowser(result, BASE, SHOTS);

try {
  const companies = [
    { key: 'jia', name: '泌阳县甲矿业有限公司', code: '91411726MA44444442', email: 'jia@example.cn' },
    { key: 'yi', name: '确山县乙石材有限公司', code: '91350100M000100Y43', email: 'yi@example.cn' },
    { key: 'bing', name: '驻马店丙建材有限公司', code: '91411700MA9K000012', email: 'bing@example.cn', phone: true },
  ];
  const pw = '正确的密码horse1';
  const anon = await (await context({ viewport: { width: 1280, height: 900 } })).newPage();
  await anon.goto(BASE + '/login');
  await check(anon, 'login');

  // 1. Three companies register themselves; one on a phone.
  for (const c of companies) {
    const ctx = await context(c.phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
      : { viewport: { width: 1280, height: 900 } });
    c.page = await ctx.newPage();
    await c.page.goto(BASE + '/register');
    if (c.key === 'jia') {
      // A mistyped code first: the check character catches it.
      await c.page.fill('#company', c.name);
      await c.page.fill('#credit_code', c.code.slice(0, 17) + '3');
      await c.page.fill('#contact', '张三');
      await c.page.fill('#phone', '0396-1234567');
      await c.page.fill('#email', c.email);
      await c.page.fill('#password', pw);
      await c.page.fill('#password2', pw);
      await c.page.click('button[type=submit]');
      await c.page.waitForSelector('#page-error');
      result.registerError = await text(c.page, '#page-error');
      await check(c.page, 'register-error');
    } else {
      await check(c.page, c.phone ? 'register-phone' : 'register');
    }
    await c.page.fill('#company', c.name);
    await c.page.fill('#credit_code', c.code);
    await c.page.fill('#contact', '张三');
    await c.page.fill('#phone', '0396-1234567');
    await c.page.fill('#email', c.email);
    await c.page.fill('#password', pw);
    await c.page.fill('#password2', pw);
    await Promise.all([c.page.waitForURL('**/sales?welcome=1'), c.page.click('button[type=submit]')]);
    if (c.key === 'jia') { result.pendingFlash = await text(c.page, '.flash'); await check(c.page, 'sales-pending'); }
  }
  step('registered');

  // 2. The bureau approves them and announces both sales.
  const pending = await api('GET', '/api/v1/accounts?pending=true');
  for (const c of companies) {
    const a = pending.items.find((x) => x.login === c.email);
    c.account = a.id;
    c.bidder = a.bidder.id;
    await api('POST', `/api/v1/accounts/${a.id}/approval`);
  }
  const srv = await api('GET', `/api/v1/sales/${LISTING}`);
  const now = Date.parse(srv.server_time);
  const iso = (ms) => new Date(ms).toISOString();
  const start = now + 35000; // applications take a while on a busy machine
  await api('POST', `/api/v1/sales/${LISTING}/announcement`, {
    apply_start: iso(now + 1000), apply_end: iso(start), deposit_deadline: iso(start), bidding_start: iso(start), bidding_end: iso(start + 25000) });
  const tenderStart = start + 2000;
  await api('POST', `/api/v1/sales/${TENDER}/announcement`, {
    apply_start: iso(now + 1000), apply_end: iso(tenderStart), deposit_deadline: iso(tenderStart), bidding_start: iso(tenderStart), bidding_end: iso(start + 70000) });
  await sleep(1200);
  step('announced');

  // 3. Each applies on the sale's pages; the bureau records the deposit and qualifies.
  await anon.goto(`${BASE}/sales/${LISTING}`);
  await check(anon, 'sale-anonymous');
  await anon.goto(`${BASE}/sales`);
  await check(anon, 'sales');
  for (const c of companies) {
    for (const sale of [LISTING, TENDER]) {
      await c.page.goto(`${BASE}/sales/${sale}`);
      await Promise.all([c.page.waitForURL(`**/sales/${sale}?applied=1`), c.page.click('#apply')]);
      await api('POST', `/api/v1/sales/${sale}/deposits`, { bidder_id: c.bidder, amount: srv.terms.deposit.yuan });
      await api('POST', `/api/v1/sales/${sale}/qualifications`, { bidder_id: c.bidder, approve: true });
    }
    await c.page.goto(`${BASE}/sales/${LISTING}`);
    c.application = await text(c.page, '#my-application');
    if (c.key === 'jia') await check(c.page, 'sale-applied');
    if (c.phone) await check(c.page, 'sale-phone');
  }
  step('applied');

  // 4. The sale room: wait for the listing to open.
  for (const c of companies) await c.page.goto(`${BASE}/sales/${LISTING}/room`);
  await anon.goto(`${BASE}/sales/${LISTING}/room`);
  const [jia, yi, bing] = companies.map((c) => c.page);
  for (const p of [jia, yi, bing, anon]) await p.waitForFunction(() => window.room && window.room.ready && window.room.connected, null, { timeout: 30000 });
  await jia.waitForFunction(() => window.room.sale.state === 'listing', null, { timeout: 60000 });
  for (const p of [yi, bing]) await p.waitForFunction(() => window.room.sale.state === 'listing' && !document.getElementById('bidbox').hidden, null, { timeout: 10000 });
  step('listing open');
  await check(anon, 'room-anonymous');

  async function confirmBid(page, how, amountWan) {
    if (how === 'raise') await page.click('#raise');
    else { await page.fill('#amount', amountWan); await page.click('#bid-submit'); }
    await page.waitForSelector('#confirm[open]');
    await page.waitForFunction(() => document.getElementById('confirm-capital').textContent.length > 0);
    const shown = { yuan: await text(page, '#confirm-yuan'), wan: await text(page, '#confirm-wan'), capital: await text(page, '#confirm-capital') };
    const before = await page.evaluate(() => document.getElementById('message').textContent);
    await page.click('#confirm-ok');
    await page.waitForFunction((b) => { const m = document.getElementById('message').textContent; return m !== b && (m.includes('报价已接受') || document.getElementById('message').classList.contains('bad')); }, before, { timeout: 15000 });
    return { shown, message: await text(page, '#message') };
  }
  const S = srv.terms.starting_price.yuan, inc = srv.terms.increment.yuan;
  result.listing = {};
  result.listing.jia = await confirmBid(jia, 'raise');
  await check(jia, 'room-confirm-dialog', false);
  result.listing.yi = await confirmBid(yi, 'type', wan(S + 3 * inc));
  await bing.waitForFunction((v) => window.room.sale.high && window.room.sale.high.amount.yuan === v, S + 3 * inc, { timeout: 5000 });
  result.listing.bing = await confirmBid(bing, 'raise');
  // The phone: the bid box, the high and the countdown on one screen.
  result.phone = await bing.evaluate(() => {
    const vis = (id) => { const r = document.getElementById(id).getBoundingClientRect(); return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight; };
    return { bidbox: vis('bidbox'), high: vis('high'), countdown: vis('countdown'), width: window.innerWidth, height: window.innerHeight };
  });
  await check(bing, 'room-phone', false);
  await check(jia, 'room-listing');
  step('listing quotes');

  // 5. Timed bidding: 甲 outbids 丙, who sees it; 乙 bids in the last seconds.
  await jia.waitForFunction(() => { const s = window.room.sale; return s.state === 'timed_bidding' && s.timed_bidding_start && Date.now() + window.room.skew > Date.parse(s.timed_bidding_start) + 100; }, null, { timeout: 30000 });
  step('timed bidding');
  result.timed = {};
  result.timed.jia = await confirmBid(jia, 'raise');
  const accepted = Date.now();
  await bing.waitForFunction(() => document.getElementById('message').textContent.includes('已被超过'), null, { timeout: 5000, polling: 20 });
  result.outbidSeenMs = Date.now() - accepted;
  result.outbidMessage = await text(bing, '#message');
  await check(bing, 'room-outbid-phone', false);
  // 乙 waits for the last two seconds of the countdown.
  await yi.waitForFunction(() => { const s = window.room.sale; return s.deadline && Date.parse(s.deadline) - (Date.now() + window.room.skew) < 2000; }, null, { timeout: 30000, polling: 20 });
  const deadlineBefore = await yi.evaluate(() => ({ deadline: window.room.sale.deadline, left: Date.parse(window.room.sale.deadline) - (Date.now() + window.room.skew) }));
  result.timed.yi = await confirmBid(yi, 'raise');
  const deadlineAfter = await yi.evaluate(() => window.room.sale.deadline);
  result.lastSeconds = { leftMs: Math.round(deadlineBefore.left), before: deadlineBefore.deadline, after: deadlineAfter };
  await check(yi, 'room-timed');
  step('timed bids');

  // 6. The close, the result, the letter.
  // The close is shown once the room has drawn it, not when its state arrives.
  const closedShown = () => window.room.sale && window.room.sale.result && document.getElementById('closed-text').textContent !== '';
  for (const p of [jia, yi, bing, anon]) await p.waitForFunction(closedShown, null, { timeout: 30000 });
  result.closedText = { yi: await text(yi, '#closed-text'), jia: await text(jia, '#closed-text') };
  result.letterLinkVisible = { yi: await yi.isVisible('#letter-link'), jia: await jia.isVisible('#letter-link') };
  await check(yi, 'room-closed');
  await api('POST', `/api/v1/sales/${LISTING}/confirmation`);
  await yi.goto(`${BASE}/sales/${LISTING}/result`);
  result.result = await text(yi, 'article');
  await check(yi, 'result');
  await yi.goto(`${BASE}/sales/${LISTING}/letter`);
  result.letter = await text(yi, 'body');
  await check(yi, 'letter');
  await yi.emulateMedia({ media: 'print' });
  const pdf = await yi.pdf({ format: 'A4', path: join(SHOTS, 'letter.pdf') });
  result.letterPdfBytes = pdf.length;
  await jia.goto(`${BASE}/sales/${LISTING}/letter`);
  result.loserLetter = { status: await jia.evaluate(() => document.title), text: await text(jia, 'main') };
  await check(jia, 'letter-refused');
  const anonCtx = await context({ viewport: { width: 1280, height: 900 } });
  const visitor = await anonCtx.newPage();
  await visitor.goto(`${BASE}/sales/${LISTING}/letter`);
  result.visitorLetterURL = visitor.url();
  step('letter');

  // 7. The tender: sealed bids through the form, one amended; no amounts shown.
  for (const c of companies) await c.page.goto(`${BASE}/sales/${TENDER}/room`);
  for (const c of companies) await c.page.waitForFunction(() => window.room && window.room.ready && window.room.sale.state === 'tender_open' && !document.getElementById('bidbox').hidden, null, { timeout: 30000 });
  // A visitor follows the tender; its connection drops while bids arrive,
  // and after it comes back it has every event it missed.
  await anon.goto(`${BASE}/sales/${TENDER}/room`);
  await anon.waitForFunction(() => window.room && window.room.ready && window.room.connected, null, { timeout: 30000 });
  await anon.context().setOffline(true);
  await fetch(BASE + '/test/drop-connections', { method: 'POST' });
  await anon.waitForFunction(() => !window.room.connected, null, { timeout: 20000 });
  result.reconnect = { conn: await text(anon, '#conn'), eventsBefore: await anon.evaluate(() => window.room.events) };
  await check(anon, 'room-disconnected', false);
  const T = (await api('GET', `/api/v1/sales/${TENDER}`)).terms;
  const tS = T.starting_price.yuan, tInc = T.increment.yuan;
  result.tender = { form: await text(jia, '#bid-form') };
  result.tender.jia = await confirmBid(jia, 'type', wan(tS + 2 * tInc));
  result.tender.bing = await confirmBid(bing, 'type', wan(tS + 3 * tInc));
  result.tender.yi1 = await confirmBid(yi, 'type', wan(tS + 4 * tInc));
  await yi.waitForFunction(() => document.getElementById('bid-submit').textContent.includes('修改'));
  result.tender.yi2 = await confirmBid(yi, 'type', wan(tS + 5 * tInc));
  await anon.context().setOffline(false);
  // The last event a visitor may see, as the API tells a visitor.
  const auditSeq = (await (await fetch(`${BASE}/api/v1/sales/${TENDER}`)).json()).audit_seq;
  await anon.waitForFunction((a) => window.room.connected && window.room.lastSeq >= a, auditSeq, { timeout: 30000 });
  Object.assign(result.reconnect, { auditSeq, lastSeq: await anon.evaluate(() => window.room.lastSeq),
    eventsAfter: await anon.evaluate(() => window.room.events), connAfter: await text(anon, '#conn') });
  await jia.reload();
  await jia.waitForFunction(() => window.room && window.room.ready);
  result.tender.jiaSees = await text(jia, '#room');
  result.tender.amounts = [wan(tS + 3 * tInc), wan(tS + 4 * tInc), wan(tS + 5 * tInc)];
  await check(jia, 'room-tender');
  step('tender bids');
  // Close the tender early for the test: the bureau cannot, so wait for its end.
  await yi.waitForFunction(closedShown, null, { timeout: 60000 });
  result.tender.closed = await text(yi, '#closed-text');
  await yi.goto(`${BASE}/sales/${TENDER}/result`);
  result.tender.result = await text(yi, 'article');
  step('tender closed');

  // 8. Sign out.
  await jia.goto(`${BASE}/logout`);
  await check(jia, 'logout');
  await Promise.all([jia.waitForURL('**/login'), jia.click('main button[type=submit]')]);
  await jia.goto(`${BASE}/sales/${LISTING}`);
  result.afterLogout = await text(jia, '#application');
  console.log(JSON.stringify(result));
} catch (e) {
  failed(result, e);
} finally {
  await browser.close();
}
