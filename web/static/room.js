// The sale room: the board (phase, high and its paddle, minimum next bid,
// countdown on the server's clock), the bid box with 一键加价 and a
// confirmation in figures, 万元 and 大写, the bidder's own bids with their
// receipts, and the sale's event stream (resumed from the last event seen
// after any disconnection). Everything shown comes from the API as the
// signed-in user may see it; the words come from the page (room-boot).
(function () {
  'use strict';
  const boot = JSON.parse(document.getElementById('room-boot').textContent);
  const csrf = document.querySelector('meta[name=csrf-token]').content;
  const id = boot.sale;
  const $ = (s) => document.getElementById(s);
  const state = { sale: null, skew: 0, lastSeq: 0, events: 0, myBids: [], outbid: false, connected: false, ready: false };
  window.room = state;

  function wan(yuan) {
    const y = BigInt(yuan);
    const frac = (y % 10000n).toString().padStart(4, '0').replace(/0+$/, '');
    return (y / 10000n).toString() + '.' + (frac.length < 2 ? (frac + '00').slice(0, 2) : frac);
  }
  function cst(iso) {
    if (!iso) return '—';
    return new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
  }
  function say(text, kind) {
    const m = $('message');
    m.textContent = text;
    m.className = 'message ' + (kind || '');
  }
  async function problemWords(res) {
    let p = {};
    try { p = await res.json(); } catch (e) { /* not JSON */ }
    for (const e of p.errors || []) {
      if (boot.words[e.message]) {
        let w = boot.words[e.message];
        if (e.message === 'bid-below-minimum' && e.value) w += '（最低应价 ' + wan(e.value) + ' 万元）';
        return w;
      }
    }
    if (res.status === 429) {
      const after = res.headers.get('Retry-After');
      return boot.words['bid-rate'] + (after ? '（' + after + ' 秒后）' : '');
    }
    return (boot.status[res.status] || ('操作失败（' + res.status + '）')) + (p.detail ? '（' + p.detail + '）' : '');
  }

  async function refresh() {
    try {
      await load();
    } catch (e) {
      // The network is down; the stream's reconnection refreshes again.
      $('conn').textContent = '连接中断，正在重新连接……';
      $('conn').className = 'conn down';
    }
  }

  async function load() {
    const t0 = Date.now();
    const res = await fetch('/api/v1/sales/' + id, { credentials: 'same-origin', cache: 'no-store' });
    const t1 = Date.now();
    if (!res.ok) { say(await problemWords(res), 'bad'); return; }
    const prev = state.sale;
    // (a disconnection message clears once the board loads again)
    const s = await res.json();
    state.skew = Date.parse(s.server_time) - (t0 + t1) / 2;
    state.sale = s;
    const mine = s.you ? s.you.paddle : 0;
    if (prev && mine && prev.high && prev.high.paddle === mine && s.high && s.high.paddle !== mine) {
      state.outbid = true;
      say('您的报价已被超过：当前最高报价 ' + s.high.amount.wan_yuan + ' 万元（' + s.high.paddle + ' 号）。', 'bad');
    }
    if (s.you) await loadMine();
    render();
    state.ready = true;
  }

  async function loadMine() {
    const res = await fetch('/api/v1/sales/' + id + '/bids', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return;
    const body = await res.json();
    const me = state.sale.you.paddle;
    state.myBids = body.items.filter((b) => b.paddle === me);
  }

  function render() {
    const s = state.sale;
    const tender = s.method === 'tender';
    $('phase').textContent = boot.states[s.state] || s.state;
    if (tender) {
      $('high-label').textContent = '密封报价';
      $('high').textContent = '开标前不公开';
      $('high-paddle').textContent = '';
      $('high-capital').textContent = '';
    } else if (s.high) {
      $('high').textContent = s.high.amount.wan_yuan + ' 万元';
      $('high-paddle').textContent = s.high.paddle + ' 号' + (s.you && s.you.paddle === s.high.paddle ? '（您）' : '');
      $('high-capital').textContent = s.high.amount.capital;
    } else {
      $('high').textContent = '尚无报价';
      $('high-paddle').textContent = '';
      $('high-capital').textContent = '起始价 ' + s.terms.starting_price.wan_yuan + ' 万元';
    }
    $('min-next').textContent = s.min_next_bid ? wan(s.min_next_bid) + ' 万元' : '—';
    $('min-next-label').textContent = tender ? '最低报价（起始价）' : '最低应价';
    $('my-paddle').textContent = s.you ? s.you.paddle + ' 号' : '—';
    const bidder = boot.bidder && s.you && s.you.qualified && s.you.deposit_paid;
    const open = ['listing', 'timed_bidding', 'auction_live', 'tender_open'].includes(s.state);
    $('bidbox').hidden = !(bidder && open);
    $('raise').hidden = tender;
    $('amount-label').textContent = tender ? '密封报价金额（万元）' : '报价金额（万元）';
    $('bid-submit').textContent = tender ? (state.myBids.length ? '修改密封报价' : '提交密封报价') : '报价';
    $('bid-hint').textContent = tender ? '开标前任何人都看不到您的报价；截止前可以修改，以最后一次为准。'
      : '加价幅度 ' + s.terms.increment.wan_yuan + ' 万元；一键加价按最低应价报价。';
    const nb = $('not-bidder');
    if (!(bidder && open)) {
      nb.hidden = false;
      nb.textContent = !boot.signedIn ? '旁观中。竞买人请先登录（页面右上角）。'
        : !s.you ? (open ? '您未报名参加本次出让，只能旁观。' : '')
          : !s.you.qualified ? '您的竞买资格尚未审核通过。'
            : !s.you.deposit_paid ? '竞买保证金尚未到账。' : (open ? '' : '当前不在竞价时间。');
      if (!nb.textContent) nb.hidden = true;
    } else {
      nb.hidden = true;
    }
    $('mine-section').hidden = !s.you;
    const tb = $('my-bids').tBodies[0];
    tb.textContent = '';
    for (const b of state.myBids.slice().reverse()) {
      const tr = tb.insertRow();
      tr.insertCell().textContent = b.seq;
      tr.insertCell().textContent = cst(b.at);
      const c = tr.insertCell(); c.textContent = b.amount.wan_yuan; c.className = 'num';
      tr.insertCell().textContent = boot.phases[b.phase] || b.phase;
    }
    const closed = !!s.result;
    $('closed').hidden = !closed;
    if (closed) {
      const r = s.result;
      $('closed-text').textContent = r.sold
        ? '成交：' + r.winner_paddle + ' 号，成交价 ' + r.price.wan_yuan + ' 万元（' + r.price.capital + '）。' + (s.you && s.you.paddle === r.winner_paddle ? '恭喜，您已竞得。' : '')
        : '流拍：' + (boot.fails[r.reason] || r.reason) + '。';
      $('letter-link').hidden = !(s.you && r.sold && s.you.paddle === r.winner_paddle);
    }
    tick();
  }

  function tick() {
    const s = state.sale;
    if (!s) return;
    const now = Date.now() + state.skew;
    $('server-clock').textContent = new Date(now).toLocaleTimeString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
    const target = s.deadline || s.next_change;
    const el = $('countdown');
    if (s.result || !target) {
      el.textContent = s.result ? '已结束' : '—';
      el.classList.remove('urgent');
      $('countdown-label').textContent = '剩余时间';
      return;
    }
    $('countdown-label').textContent = s.deadline ? '倒计时（有新报价即重新计时）'
      : ({ listing: '距挂牌截止', tender_open: '距投标截止', timed_bidding: '距限时竞价开始', applying: '距竞价开始', announced: '距报名开始' }[s.state] || '距下一阶段');
    let ms = Math.max(0, Date.parse(target) - now);
    const h = Math.floor(ms / 3600000); ms -= h * 3600000;
    const m = Math.floor(ms / 60000); ms -= m * 60000;
    const sec = Math.floor(ms / 1000);
    el.textContent = (h ? h + ':' : '') + String(m).padStart(2, '0') + ':' + String(sec).padStart(2, '0');
    el.classList.toggle('urgent', Date.parse(target) - now < 10000);
    if (Date.parse(target) <= now && !state.pendingAtDeadline) {
      // The clock has passed the deadline: the server decides; ask it.
      state.pendingAtDeadline = true;
      setTimeout(() => { state.pendingAtDeadline = false; refresh(); }, 700);
    }
  }
  setInterval(tick, 250);

  // The event stream: any event refreshes the board; the browser resumes
  // with Last-Event-ID after a drop, and a stream that was closed is
  // reopened from the last event seen.
  const kinds = ['bid-accepted', 'countdown-restarted', 'listing-opened', 'listing-closed', 'timed-bidding-started', 'auction-started',
    'tender-started', 'tender-bid-received', 'tenders-opened', 'sale-sold', 'sale-failed', 'sale-suspended', 'sale-resumed', 'sale-terminated',
    'bidder-applied', 'bidder-qualified', 'bidder-disqualified', 'deposit-recorded', 'applications-opened', 'confirmation-issued',
    'publicity-started', 'reserve-revealed', 'deposits-released', 'bid-withdrawn'];
  let es = null;
  let pending = null;
  function onEvent(e) {
    state.events++;
    if (e.lastEventId) state.lastSeq = Math.max(state.lastSeq, Number(e.lastEventId));
    if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, 30);
  }
  function connect() {
    es = new EventSource('/api/v1/sales/' + id + '/events?after=' + state.lastSeq);
    es.onopen = () => {
      state.connected = true;
      $('conn').textContent = '实时连接正常';
      $('conn').className = 'conn';
      refresh();
    };
    es.onerror = () => {
      state.connected = false;
      $('conn').textContent = '连接中断，正在重新连接……';
      $('conn').className = 'conn down';
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
    es.onmessage = onEvent;
    for (const k of kinds) es.addEventListener(k, onEvent);
  }

  // Bidding.
  let intent = null; // { amount, key }: a retry of one intent reuses its key
  async function figures(yuan) {
    const res = await fetch('/money?wan=' + encodeURIComponent(wan(yuan)), { cache: 'no-store' });
    return res.json();
  }
  window.addEventListener('unhandledrejection', (e) => {
    e.preventDefault();
    say('网络中断，请检查网络连接后重试。', 'bad');
  });
  async function confirmAndBid(yuan) {
    const f = await figures(yuan);
    $('confirm-yuan').textContent = f.figures + ' 元';
    $('confirm-wan').textContent = f.wan_yuan + ' 万元';
    $('confirm-capital').textContent = f.capital;
    const dlg = $('confirm');
    dlg.returnValue = '';
    dlg.showModal();
    const answer = await new Promise((ok) => dlg.addEventListener('close', () => ok(dlg.returnValue), { once: true }));
    if (answer !== 'ok') { say('已取消，未报价。'); return; }
    if (!intent || intent.amount !== yuan) intent = { amount: yuan, key: crypto.randomUUID() };
    await send(intent);
  }
  async function send(it) {
    $('bid-submit').disabled = $('raise').disabled = true;
    try {
      const res = await fetch('/api/v1/sales/' + id + '/bids', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, 'Idempotency-Key': it.key },
        body: JSON.stringify({ amount: it.amount }),
      });
      if (res.ok) {
        const rc = await res.json();
        intent = null;
        state.outbid = false;
        say('报价已接受：第 ' + rc.seq + ' 号报价，' + rc.amount.wan_yuan + ' 万元（' + rc.amount.capital + '），服务器时间 ' + cst(rc.at) + '。', 'ok');
        $('amount').value = '';
      } else {
        if (res.status !== 429 && res.status < 500) intent = null;
        say(await problemWords(res), 'bad');
      }
    } catch (e) {
      say('网络中断，报价是否送达未知：请再次点击报价，系统不会重复受理同一报价。', 'bad');
    } finally {
      $('bid-submit').disabled = $('raise').disabled = false;
      refresh();
    }
  }
  $('bid-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = $('amount').value.trim();
    if (!v) { say('请输入报价金额（万元）。', 'bad'); $('amount').focus(); return; }
    const res = await fetch('/money?wan=' + encodeURIComponent(v), { cache: 'no-store' });
    const f = await res.json();
    if (!res.ok) { say(f.error, 'bad'); return; }
    await confirmAndBid(f.yuan);
  });
  $('raise').addEventListener('click', async () => {
    const s = state.sale;
    if (!s || !s.min_next_bid) return;
    await confirmAndBid(s.min_next_bid);
  });

  // A kind of event this page does not know still shows within 15 s.
  setInterval(refresh, 15000);
  refresh().then(connect);
})();
