// Showroom crew console: one page for every role. The invite's token
// comes in the link's fragment (never sent to the server in a URL), is
// kept in this tab's sessionStorage and sent as the WebSocket's first
// message. Every button sends one action; the server checks the role.
// The DOM is built with textContent only: chat text is never HTML.
'use strict';

const KEY = 'showroom-invite';
let token = '';
if (location.hash.length > 1) {
  try { token = decodeURIComponent(location.hash.slice(1)); } catch (e) { token = ''; }
  if (token) sessionStorage.setItem(KEY, token);
  history.replaceState(null, '', location.pathname);
} else {
  token = sessionStorage.getItem(KEY) || '';
}

let ws = null;
let me = null; // {name, role, can}
let state = null;
let nextId = 1;
let ended = false;
let skew = 0; // this device's clock less the show's
let pendingRender = false;
let preflight = null; // the last pre-flight check this page asked for
const filters = { platform: '', queueOnly: false };
const pictures = {}; // canvas index -> object URL

function $(id) { return document.getElementById(id); }

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids) if (kid !== null && kid !== undefined) e.append(kid);
  return e;
}

function may(action) { return me && me.can.includes(action); }

function send(action, fields) {
  if (!ws || ws.readyState !== WebSocket.OPEN) { toast('not connected'); return; }
  ws.send(JSON.stringify(Object.assign({ action, id: nextId++ }, fields || {})));
}

function button(label, action, fields, cls) {
  if (!may(action)) return null;
  return el('button', { class: cls, type: 'button', 'data-action': action, on: { click: () => send(action, typeof fields === 'function' ? fields() : fields) } }, label);
}

// Notices stay 4 s; errors, which say what to do, 8 s.
function toast(text, ms) {
  const t = el('div', { text });
  const box = $('toast');
  box.append(t);
  while (box.children.length > 3) box.firstChild.remove();
  setTimeout(() => t.remove(), ms || 4000);
}

function message(text) {
  const main = $('main');
  main.replaceChildren(el('p', { class: 'hint big', id: 'hint', text }));
}

function connect() {
  if (!token) { message('Open the link of your invite (ask the studio for one).'); return; }
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  ws = new WebSocket(scheme + location.host + '/ws');
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => ws.send(JSON.stringify({ token }));
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') { picture(new Uint8Array(ev.data)); return; }
    let m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    handle(m);
  };
  ws.onclose = (ev) => {
    setTally('offline', false);
    if (ev.code === 4029) {
      // Too many wrong invites from this network: the token may be right; try again.
      message('Too many wrong invites from this network: trying again in a minute…');
      setTimeout(connect, 61000);
      return;
    }
    if (ev.code === 4001 || ev.code === 4003) {
      ended = true;
      sessionStorage.removeItem(KEY);
      message(ev.code === 4001 ? 'Your invite was revoked. Ask the studio for a new one.' : 'This invite is not valid: ' + (ev.reason || 'ask the studio for a new one.'));
      return;
    }
    if (ev.code === 1001 && ev.reason === 'the show has ended') { ended = true; message('The show has ended.'); return; }
    if (!ended) setTimeout(connect, 1500);
  };
}

function setTally(text, on) {
  const t = $('tally');
  t.textContent = text;
  t.classList.toggle('on', on);
}

function handle(m) {
  switch (m.type) {
    case 'welcome':
      me = { name: m.name, role: m.role, can: m.can, page: m.page };
      if (m.now_ms) skew = Date.now() - m.now_ms;
      document.title = m.show + ' — ' + m.role + ' (' + m.name + ')';
      document.body.dataset.role = m.role;
      $('who').textContent = m.show + ' · ' + m.name + ' · ' + m.role;
      break;
    case 'state':
      state = m;
      render();
      break;
    case 'notice':
      // The prompter shows what the host must read, not the crew's chatter.
      if (me && m.page !== me.page && me.role !== 'host') toast(m.text);
      break;
    case 'preflight':
      preflight = m;
      render();
      break;
    case 'result':
      break;
    case 'error':
      toast(m.error, 8000);
      break;
    case 'refused':
    case 'revoked':
      message(m.error);
      break;
  }
}

// A picture frame: [canvas, kind (0 program, 1 preview)] then a JPEG.
function picture(bytes) {
  if (bytes.length < 3) return;
  const key = bytes[0] + ':' + (bytes[1] === 1 ? 'preview' : 'program');
  const url = URL.createObjectURL(new Blob([bytes.subarray(2)], { type: 'image/jpeg' }));
  const img = document.querySelector('img[data-picture="' + key + '"]');
  if (pictures[key]) URL.revokeObjectURL(pictures[key]);
  pictures[key] = url;
  if (img) img.src = url;
}

function tick() {
  if (state && state.started_ms) {
    const s = Math.max(0, Math.floor((Date.now() - skew - state.started_ms) / 1000));
    const h = Math.floor(s / 3600), mm = Math.floor(s / 60) % 60, ss = s % 60;
    $('timer').textContent = (h ? h + ':' + String(mm).padStart(2, '0') : mm) + ':' + String(ss).padStart(2, '0');
  }
}
setInterval(tick, 1000);

// A press is kept whole: the view is not re-built between a finger (or
// mouse) going down and coming up, or the click would find its button gone.
let pressing = false;
let renderAfterPress = false;
document.addEventListener('pointerdown', () => { pressing = true; }, true);
for (const ev of ['pointerup', 'pointercancel']) {
  document.addEventListener(ev, () => {
    pressing = false;
    // After the click this press makes (dispatched in this same task).
    if (renderAfterPress) { renderAfterPress = false; setTimeout(render, 0); }
  }, true);
}

function render() {
  if (!me || !state) return;
  if (pressing) { renderAfterPress = true; return; }
  // An open list (a select) would close under the person's finger: the
  // view is redrawn once they have chosen.
  if (document.activeElement && document.activeElement.tagName === 'SELECT') {
    if (!pendingRender) {
      pendingRender = true;
      document.activeElement.addEventListener('blur', () => { pendingRender = false; render(); }, { once: true });
    }
    return;
  }
  const live = state.destinations.some((d) => d.state === 'live');
  // A rehearsal sends nothing: every page says so where the tally is.
  if (state.rehearsal) setTally('REHEARSAL', false);
  else setTally(live ? 'ON AIR' : 'off air', live);
  $('alerts').replaceChildren(...state.alerts.map((a) => el('div', { text: a })));
  const views = { moderator: moderator, producer: producer, host: host, brand: brand };
  const view = views[me.role];
  const main = $('main');
  // Keep what the person is typing: a view is re-built only around inputs.
  const focused = document.activeElement && document.activeElement.id;
  const values = {};
  for (const i of main.querySelectorAll('input, select')) if (i.id) values[i.id] = i.value;
  main.replaceChildren(...view(state));
  for (const [id, v] of Object.entries(values)) { const i = $(id); if (i) i.value = v; }
  if (focused && $(focused)) $(focused).focus();
  tick();
}

function productLine(p) {
  if (!p) return 'nothing';
  return p.code + ' · ' + p.title + (p.price ? ' · ' + p.price : '') + (p.stock !== null && p.stock !== undefined ? ' · ' + p.stock + ' left' : '');
}

// ---- Moderator -----------------------------------------------------------

function moderator(s) {
  if (!s.chat) return [el('p', { class: 'hint', text: 'This show has no [chat]: there is nothing to moderate.' })];
  const platforms = [...new Set(s.messages.map((m) => m.platform))].sort();
  const select = el('select', { id: 'platform-filter', 'aria-label': 'platform filter', on: { change: (e) => { filters.platform = e.target.value; e.target.blur(); render(); } } },
    el('option', { value: '', text: 'All platforms' }), ...platforms.map((p) => el('option', { value: p, text: p })));
  select.value = filters.platform;
  const queue = el('button', { type: 'button', 'aria-pressed': String(filters.queueOnly), on: { click: () => { filters.queueOnly = !filters.queueOnly; render(); } } }, 'Host queue only');
  const shown = s.messages.filter((m) => (!filters.platform || m.platform === filters.platform) && (!filters.queueOnly || m.queued)).reverse();
  const list = el('ul', { class: 'messages', id: 'messages', 'aria-label': 'chat messages' }, ...shown.map((m) => messageItem(m, s)));
  const word = el('input', { id: 'block-word', placeholder: 'word to block', 'aria-label': 'word to block' });
  const q = s.question;
  return [el('div', { class: 'cols' }, el('div', {},
    el('section', {}, el('h2', { text: 'On the prompter' }),
      el('p', { id: 'pushed', text: q ? q.author + ' (' + q.platform + '): ' + q.text + ' — pushed by ' + q.by : 'No question pushed to the host.' }),
      q ? button('Take it off the prompter', 'clear_question') : null),
    el('section', {}, el('h2', { text: 'Chat' }), el('div', { class: 'row' }, select, queue, button('Take comment off screen', 'hide_comment')), list)),
    el('div', {}, s.auction ? auctionSection(s, false) : null, el('section', {}, el('h2', { text: 'Claims' }), claimsTable(s)),
    el('section', {}, el('h2', { text: 'Blocked' }),
      el('p', { class: 'status', text: (s.blocked.length ? s.blocked.map((b) => b.name + ' (' + b.platform + ')').join(', ') : 'nobody') + ' · words: ' + (s.blocked_words.length ? s.blocked_words.join(', ') : 'none') }),
      el('div', { class: 'row' }, word, button('Block word', 'block_word', () => ({ word: $('block-word').value }))))))];
}

function messageItem(m, s) {
  const status = [];
  if (m.tags) status.push(m.tags);
  if (m.queued) status.push('in the host queue');
  if (m.answered) status.push('answered' + (m.answered_by ? ' by ' + m.answered_by : ''));
  if (m.hidden) status.push('hidden' + (m.hidden_by ? ' by ' + m.hidden_by : ' (' + m.hidden + ')'));
  if (m.blocked_by) status.push('author blocked by ' + m.blocked_by);
  if (m.claim) status.push('claim ' + m.claim);
  const bidRefused = m.check && m.check.startsWith('bid refused');
  if (m.check) status.push(bidRefused ? m.check : 'unclear claim: ' + m.check);
  const actions = el('div', { class: 'row' },
    m.answered ? null : button('Answered', 'answer', { seq: m.seq }),
    m.hidden ? button('Unhide', 'unhide', { seq: m.seq }) : button('Hide', 'hide', { seq: m.seq }),
    button('Block author', 'block', { seq: m.seq }, 'danger'),
    button('On screen', 'comment', { seq: m.seq }),
    button('To host', 'push_question', { seq: m.seq }, 'primary'));
  let settle = null;
  if (m.check && !bidRefused && !m.claim && s.products.length && may('settle_claim')) {
    const pid = 'settle-p-' + m.seq, vid = 'settle-v-' + m.seq, qid = 'settle-q-' + m.seq;
    settle = el('div', { class: 'row' },
      el('select', { id: pid, 'aria-label': 'product' }, ...s.products.map((p) => el('option', { value: p.index, text: p.code + ' ' + p.title }))),
      el('input', { id: vid, type: 'number', min: 0, value: 0, 'aria-label': 'variant number', style: null }),
      el('input', { id: qid, type: 'number', min: 1, value: 1, 'aria-label': 'quantity' }),
      button('Settle claim', 'settle_claim', () => ({ seq: m.seq, product: Number($(pid).value), variant: Number($(vid).value), quantity: Number($(qid).value) })));
  }
  return el('li', { 'data-seq': m.seq, class: m.hidden ? 'hidden' : '' },
    el('div', { class: 'row' }, el('span', { class: 'chip ' + m.platform_id, text: m.platform }), el('b', { text: m.author })),
    el('div', { class: 'text', text: m.text, dir: 'auto' }),
    el('div', { class: 'status', text: status.join(' · ') }),
    actions, settle);
}

// The comment auction: what every role sees, and the producer's controls.
function auctionWords(a) {
  if (!a) return 'No auction yet.';
  const lead = a.leader ? a.price + ' by ' + a.leader + ' (' + a.leader_platform + ')' : 'no bids, starts at ' + a.price;
  if (a.state === 'open') {
    return 'Auction ' + a.id + ' · ' + a.product + ' · ' + lead + ' · ' + clock(a.left_s) + ' left · next bid at least ' + a.next_minimum + ' · ' + a.bids + ' bids, ' + a.refused + ' refused';
  }
  return 'Auction ' + a.id + ' · ' + a.product + ' ended · ' + (a.leader ? 'won by ' + a.leader + ' at ' + a.price + (a.claim ? ' (claim ' + a.claim + ')' : '') : 'no bids');
}

function auctionSection(s, controls) {
  const a = s.auction;
  const refused = a ? a.recent_refused.map((r) => el('li', {}, el('b', { text: r.bidder + ' (' + r.platform + '): ' }), el('span', { dir: 'auto', text: r.text + ' — ' + r.why }))) : [];
  let form = null;
  if (controls && a && a.state === 'open') {
    form = el('div', { class: 'row' }, button('End auction now', 'end_auction', { auction: a.id }, 'danger'));
  } else if (controls && s.products.length) {
    form = el('div', { class: 'row' },
      el('select', { id: 'auction-code', 'aria-label': 'auction product' }, ...s.products.map((p) => el('option', { value: p.code, text: p.code + ' ' + p.title }))),
      el('input', { id: 'auction-start', placeholder: 'start price', 'aria-label': 'start price', inputmode: 'decimal' }),
      el('input', { id: 'auction-step', value: '1', 'aria-label': 'bid step', inputmode: 'decimal' }),
      el('input', { id: 'auction-seconds', type: 'number', min: 5, value: 60, 'aria-label': 'auction seconds' }),
      el('input', { id: 'auction-extend', type: 'number', min: 0, value: 10, 'aria-label': 'anti-sniping seconds' }),
      button('Start auction', 'auction', () => ({ code: $('auction-code').value, start: $('auction-start').value, step: $('auction-step').value,
        seconds: Number($('auction-seconds').value), extend_s: Number($('auction-extend').value) }), 'primary'));
  }
  return el('section', { id: 'auction' }, el('h2', { text: 'Auction' }), el('p', { class: 'status', id: 'auction-status', text: auctionWords(a) }),
    form, refused.length ? el('ul', { class: 'refused', 'aria-label': 'refused bids' }, ...refused) : null);
}

function claimsTable(s) {
  if (!s.claims.length) return el('p', { class: 'hint', text: 'No claims yet.' });
  return el('table', { 'aria-label': 'claims' },
    el('tr', {}, el('th', { text: '#' }), el('th', { text: 'Buyer' }), el('th', { text: 'Product' }), el('th', { class: 'n', text: 'Qty' }), el('th', { text: 'Status' }), el('th', { text: '' })),
    ...s.claims.map((c) => el('tr', { 'data-claim': c.id },
      el('td', { text: String(c.id) }), el('td', { text: c.buyer + ' (' + c.platform + ')' }),
      el('td', { text: c.code + (c.variant ? ' ' + c.variant : '') }), el('td', { class: 'n', text: String(c.quantity) }),
      el('td', { text: c.status }),
      el('td', {}, c.status === 'cancelled' ? null : button('Cancel', 'cancel_claim', { id: c.id }, 'danger')))));
}

// The pre-flight check (producer and host): run on demand, each red item
// with what to fix, as the studio's Go Live asks.
function preflightSection() {
  if (!may('preflight')) return null;
  const p = preflight;
  const at = p ? new Date(p.at_ms + skew).toLocaleTimeString() : '';
  const words = !p ? 'Not run yet: run it before going live.'
    : p.ok ? 'All clear (checked ' + at + ').' : p.problems + ' problem(s) to fix (checked ' + at + ').';
  const list = p ? el('ul', { class: 'checks', id: 'preflight-checks' }, ...p.checks.filter((c) => !c.ok).concat(p.checks.filter((c) => c.ok)).map((c) =>
    el('li', { class: c.ok ? 'ok' : 'bad', 'data-ok': String(c.ok) },
      el('b', { text: (c.ok ? 'OK ' : 'FIX ') + c.what }), el('span', { text: ': ' + c.detail + (c.fix ? ' — ' + c.fix : '') })))) : null;
  return el('section', { id: 'preflight', class: 'card' }, el('h2', { text: 'Pre-flight check' }),
    el('p', { class: 'status', id: 'preflight-status', text: words }),
    el('div', { class: 'row' }, button('Run pre-flight check', 'preflight', {}, p ? null : 'primary')), list);
}

// ---- Producer ------------------------------------------------------------

function producer(s) {
  const pics = el('div', { class: 'pictures' }, ...s.canvases.flatMap((c, i) => ['preview', 'program'].map((kind) => {
    const key = i + ':' + kind;
    const img = el('img', { 'data-picture': key, alt: kind + ' of ' + c.id, width: c.width > c.height ? 180 : 320 });
    if (pictures[key]) img.src = pictures[key];
    return el('figure', {}, img, el('figcaption', { text: (kind === 'program' ? 'Program' : 'Preview') + ' · ' + c.id }));
  })));
  const scenes = s.scenes.map((id) => el('div', { class: 'row card' },
    el('b', { text: id + (id === s.scene ? ' (program)' : id === s.preview ? ' (preview)' : '') }),
    button('Preview', 'preview', { scene: id }), button('Cut', 'cut', { scene: id }, 'primary')));
  const products = s.products.map((p) => el('div', { class: 'row card', 'data-product': p.code },
    el('span', { text: productLine(p) + (s.on_air && s.on_air.code === p.code ? ' · ON AIR' : '') }),
    button('Feature', 'feature', { code: p.code }, 'primary')));
  const g = s.graphics;
  return [el('div', { class: 'cols' }, el('div', {},
    el('section', {}, el('h2', { text: 'Preview and program' }), pics),
    el('section', {}, el('h2', { text: 'Scenes' }), el('p', { class: 'status', text: 'Program: ' + s.scene + ' · Preview: ' + s.preview }),
      el('div', { class: 'row' }, button('Take preview to program', 'take', {}, 'primary')), ...scenes)), el('div', {},
    preflightSection(),
    s.rundown ? el('section', {}, el('h2', { text: 'Rundown' }), el('p', { class: 'status', id: 'rundown-status', text: s.rundown_words }),
      el('div', { class: 'row' }, button('Previous segment', 'previous_segment'), button('Next segment', 'next_segment', {}, 'primary'))) : null,
    s.chat ? auctionSection(s, may('auction')) : null,
    el('section', {}, el('h2', { text: 'Products' }), el('p', { class: 'status', text: 'On air: ' + productLine(s.on_air) }),
      el('div', { class: 'row' }, button('Previous', 'previous_product'), button('Next product', 'next_product'), button('Hide product', 'hide_product')), ...products),
    el('section', {}, el('h2', { text: 'Graphics' }),
      el('p', { class: 'status', text: 'On air: ' + (g.on_air.length ? g.on_air.join(', ') : 'nothing') + (g.countdown_left_s !== null ? ' · countdown ' + g.countdown_left_s + ' s' : '') }),
      el('div', { class: 'row' }, el('input', { id: 'cd-seconds', type: 'number', min: 1, value: 60, 'aria-label': 'countdown seconds' }),
        el('input', { id: 'cd-label', placeholder: 'label', 'aria-label': 'countdown label' }),
        button('Start countdown', 'countdown', () => ({ seconds: Number($('cd-seconds').value), label: $('cd-label').value || null })),
        button('Stop countdown', 'stop_countdown')),
      el('div', { class: 'row' }, el('input', { id: 'lt-name', placeholder: 'name', 'aria-label': 'lower third name' }),
        el('input', { id: 'lt-title', placeholder: 'title', 'aria-label': 'lower third title' }),
        button('Show lower third', 'lower_third', () => ({ name: $('lt-name').value, title: $('lt-title').value || null })),
        button('Hide lower third', 'hide_lower_third')),
      el('div', { class: 'row' }, el('input', { id: 'banner-text', placeholder: 'banner text', 'aria-label': 'banner text' }),
        button('Show banner', 'banner', () => ({ text: $('banner-text').value })), button('Hide banner', 'hide_banner'))),
    el('section', {}, el('h2', { text: 'Destinations' }),
      ...s.destinations.map((d) => el('div', { class: 'row card', 'data-destination': d.id },
        el('span', { text: d.id + ' · ' + d.platform + ' · ' + d.state + (d.error ? ' · ' + d.error : '') }),
        d.state === 'live' ? null : button('Reconnect now', 'reconnect', { destination: d.id }))),
      el('div', { class: 'row' }, s.recordings ? (s.recording ? button('Stop recording', 'record', { on: false }, 'danger') : button('Start recording', 'record', { on: true })) : el('span', { class: 'status', text: 'No recording in this show.' })))))];
}

// ---- Host prompter -------------------------------------------------------

function clock(seconds) {
  const t = Math.round(Math.abs(seconds));
  return Math.floor(t / 60) + ':' + String(t % 60).padStart(2, '0');
}

function segmentCard(r) {
  const c = r.current;
  let time = null;
  if (c && r.over_s !== null) {
    time = r.over_s > 0 ? clock(r.over_s) + ' over' : clock(-r.over_s) + ' left';
  }
  return el('section', { class: 'card', id: 'segment' },
    el('div', { class: 'label', text: c ? 'SEGMENT ' + (c.index + 1) + ' OF ' + r.segments : 'RUNDOWN NOT STARTED' }),
    el('div', { class: 'big', id: 'segment-title', text: c ? c.title : (r.next ? 'First: ' + r.next.title : '') }),
    time ? el('div', { class: 'big', id: 'segment-time', text: time }) : null,
    ...(c ? c.talking_points : []).map((t) => el('div', { class: 'note', dir: 'auto', text: '• ' + t })));
}

function host(s) {
  const p = s.on_air;
  const q = s.question;
  const r = s.rundown;
  const next = r ? (r.next ? r.next.title : '—') : (s.next ? s.next.title + (s.next.price ? ' · ' + s.next.price : '') : '—');
  return [el('div', { class: 'prompter' },
    r ? segmentCard(r) : null,
    s.auction && s.auction.state === 'open' ? el('section', { class: 'card', id: 'host-auction' },
      el('div', { class: 'label', text: 'AUCTION · ' + s.auction.product }),
      el('div', { class: 'huge', text: s.auction.price }),
      el('div', { class: 'big', text: (s.auction.leader ? s.auction.leader + ' leads' : 'No bids yet') + ' · ' + clock(s.auction.left_s) + ' left' })) : null,
    el('section', { class: 'card' },
      el('div', { class: 'label', text: 'ON AIR NOW' }),
      el('div', { class: 'big', id: 'on-air-title', text: p ? p.title : 'No product on air' }),
      p ? el('div', { class: 'huge', id: 'on-air-price', text: p.price || '' }) : null,
      p && p.stock !== null ? el('div', { class: 'big', text: p.stock + ' left' }) : null,
      p && p.note ? el('div', { class: 'note', text: p.note }) : null,
      s.countdown_left_s !== null ? el('div', { class: 'big', text: 'Countdown ' + s.countdown_left_s + ' s' }) : null),
    el('section', { class: 'card', id: 'question' },
      el('div', { class: 'label', text: 'QUESTION' }),
      q ? el('div', { class: 'question', dir: 'auto', text: q.text }) : el('div', { class: 'big', text: 'No question' }),
      q ? el('div', { class: 'big', text: q.author + ' · ' + q.platform }) : null,
      q ? button('Answered', 'clear_question', {}, 'primary') : null),
    el('section', { class: 'card' },
      el('div', { class: 'label', text: 'NEXT' }),
      el('div', { class: 'big', id: 'next', text: next })),
    preflightSection())];
}

// ---- Brand -----------------------------------------------------------------

function brand(s) {
  const t = s.sales;
  if (!t.chat) return [el('p', { class: 'hint', text: 'This show has no [chat]: no claims are taken.' })];
  return [
    el('section', {}, el('h2', { text: 'Sales' }), el('div', { class: 'totals' },
      el('div', {}, 'Claims', el('b', { text: String(t.claims) })),
      el('div', {}, 'Units', el('b', { text: String(t.units) })),
      el('div', {}, 'Revenue', el('b', { id: 'revenue', text: t.revenue || '0' })))),
    el('section', {}, el('h2', { text: 'On air: ' + productLine(s.on_air) }),
      el('p', { class: 'status', id: 'featured', text: 'Featured so far: ' + (s.featured.length ? s.featured.map((f) => f.code + (f.times > 1 ? ' ×' + f.times : '')).join(', ') : 'nothing yet') })),
    el('section', {}, el('table', { 'aria-label': 'sales per product' },
      el('tr', {}, el('th', { text: 'Product' }), el('th', { class: 'n', text: 'Claims' }), el('th', { class: 'n', text: 'Units' }), el('th', { class: 'n', text: 'Waitlist' }), el('th', { class: 'n', text: 'Revenue' })),
      ...t.products.map((p) => el('tr', { 'data-product': p.code },
        el('td', { text: p.code + ' ' + p.title + (s.on_air && s.on_air.code === p.code ? ' (on air)' : '') }),
        el('td', { class: 'n', text: String(p.claims) }), el('td', { class: 'n', text: String(p.units) }),
        el('td', { class: 'n', text: String(p.waitlisted) }), el('td', { class: 'n', text: p.revenue || '—' }))))),
  ];
}

connect();
