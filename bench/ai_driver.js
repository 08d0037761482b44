#!/usr/bin/env node
// AI traffic for bench/ai_interference.py: N customers in unassigned sessions, each keeping one
// assistant reply in flight (ask, wait for ai:complete / ai:error / ai:cancelled, ask again).
//
// Driven over stdin/stdout, one JSON line per answer:
//   (on start)  {"event":"ready", connected, failed}
//   start    -> {"event":"started"} ; questions flow until `stop`
//   stop     -> stops asking, waits (<= --settle s) for replies in flight, then
//               {"event":"result", ...counters of the start..stop window}
//   quit     -> exits
// Needs socket.io-client: NODE_PATH=<harness>/node_modules.
'use strict';
const fs = require('fs');
const readline = require('readline');
const { io } = require('socket.io-client');
const { performance } = require('perf_hooks');

// --spread-ms: the customers' first questions are spread evenly over this many ms (0: all at
// once, so every stream's chunks arrive in lockstep, the worst case for the server).
const A = { url: '', path: '/socket.io/chat', 'tokens-file': '', 'reply-timeout': 30, settle: 15, 'spread-ms': 0 };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in A)) throw new Error(`unknown option --${k}`);
  A[k] = typeof A[k] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
const log = (...m) => process.stderr.write(`[ai-driver] ${m.join(' ')}\n`);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Questions the offline analysers read as plain FAQ (no escalation rule fires): see
// livechat/ai/policy.py and `flask --app wsgi livechat classify "<text>"`.
const QUESTIONS = [
  'How do I change my notification settings?',
  'How do I activate my new card?',
  'What are the fees for international transfers?',
  'How do I reset my password?',
  'Which documents do I need to verify my identity?',
  'How long does a SEPA transfer take?',
  'Can I withdraw cash abroad?',
  'How do I freeze my card in the app?',
];

const spec = JSON.parse(fs.readFileSync(A['tokens-file'], 'utf8'));
const customers = spec.customers.map((c, i) => ({ i, sid: c.sessionId, token: c.userToken, asked: 0, pending: null, dead: false, streams: new Map() }));

let running = false, t0 = 0, t1 = 0;
const fresh = () => ({
  asked: 0, completed: 0, cancelled: {}, errors: {}, timeouts: 0, ackFailed: {}, deltas: 0, aiMessages: 0,
  errorEvents: {}, handedOver: 0,
});
let c = fresh(); // counters of one start..stop window
const replyMs = [], firstDeltaMs = [], deltasPerReply = [];
const bump = (o, k) => { o[k] = (o[k] || 0) + 1; };

// One question in flight per customer: `pending` = {t: when first asked, timer}. A customer
// message mid-turn folds into that turn (ai:cancelled `superseded`, then a new stream), so a
// re-ask after --reply-timeout still gets one answer.
function ask(cu) {
  if (!running || cu.dead) return;
  const content = QUESTIONS[(cu.i + cu.asked) % QUESTIONS.length];
  cu.asked++;
  c.asked++;
  if (!cu.pending) cu.pending = { t: performance.now() };
  const p = cu.pending;
  clearTimeout(p.timer);
  p.timer = setTimeout(() => {
    if (cu.pending !== p || !running) return;
    c.timeouts++;
    ask(cu);
  }, A['reply-timeout'] * 1000);
  cu.sock.emit('message:send', { sessionId: cu.sid, content, clientMessageId: `ai-${cu.i}-${cu.asked}-${Date.now()}` }, (ack) => {
    if (ack && ack.ok === false) {
      bump(c.ackFailed, String((ack.error && ack.error.code) || 'error'));
      clearTimeout(p.timer);
      if (cu.pending === p) cu.pending = null;
      setTimeout(() => ask(cu), 1000);
    }
  });
}

function settle(cu) {
  const p = cu.pending;
  if (p) clearTimeout(p.timer);
  cu.pending = null;
  return p;
}

function onComplete(cu, m) {
  const st = cu.streams.get(m && m.streamId);
  cu.streams.delete(m && m.streamId);
  const p = settle(cu);
  if (p && running) {
    c.completed++;
    replyMs.push(performance.now() - p.t);
    if (st && st.first !== null) firstDeltaMs.push(st.first - p.t);
    deltasPerReply.push(st ? st.deltas : 0);
  }
  ask(cu);
}

function onCancelled(cu, m) {
  const reason = (m && m.reason) || 'unknown';
  bump(c.cancelled, reason);
  cu.streams.delete(m && m.streamId);
  if (reason === 'superseded') return; // the same turn goes on with a new stream
  settle(cu);
  if (reason === 'handoff' || reason === 'escalated' || reason === 'agent_assigned' || reason === 'session_ended') {
    if (!cu.dead) { cu.dead = true; c.handedOver++; }
    return;
  }
  ask(cu);
}

function onError(cu, m) {
  bump(c.errors, String((m && m.code) || 'unknown'));
  settle(cu);
  // ai:error means a human takes over: the session waits for an agent, no more AI turns
  if (!cu.dead) { cu.dead = true; c.handedOver++; }
}

function connect(cu) {
  return new Promise((resolve) => {
    const s = io(A.url, { path: A.path, transports: ['websocket'], auth: { token: cu.token }, forceNew: true, reconnection: false, timeout: 30000 });
    cu.sock = s;
    const timer = setTimeout(() => resolve(false), 30000);
    s.on('connect', () => s.emit('join:session', { sessionId: cu.sid }));
    s.once('session:history', () => { clearTimeout(timer); resolve(true); });
    s.on('connect_error', (e) => { clearTimeout(timer); log(`connect_error ${e.message}`); resolve(false); });
    s.on('ai:processing', (m) => cu.streams.set(m.streamId, { first: null, deltas: 0 }));
    s.on('ai:delta', (m) => {
      if (running) c.deltas++;
      const st = cu.streams.get(m.streamId);
      if (st) { st.deltas++; if (st.first === null) st.first = performance.now(); }
    });
    s.on('ai:complete', (m) => onComplete(cu, m));
    s.on('ai:cancelled', (m) => onCancelled(cu, m));
    s.on('ai:error', (m) => onError(cu, m));
    s.on('message:new', (m) => { if (m && m.senderType === 'AI' && running) c.aiMessages++; });
    s.on('session:updated', (m) => {
      const st = m && m.session && m.session.status;
      if (st && st !== 'ACTIVE' && !cu.dead) { cu.dead = true; c.handedOver++; }
    });
    s.on('error', (e) => bump(c.errorEvents, String((e && e.code) || 'unknown')));
    s.on('disconnect', (r) => { if (running) bump(c.errorEvents, `disconnect: ${r}`); });
  });
}

function pct(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
function summary(arr) {
  const s = Float64Array.from(arr).sort();
  const r = (x) => (x == null ? null : Math.round(x * 10) / 10);
  return { n: s.length, p50: r(pct(s, 0.5)), p99: r(pct(s, 0.99)), max: r(s.length ? s[s.length - 1] : null) };
}

async function main() {
  const ok = await Promise.all(customers.map(connect));
  const connected = ok.filter(Boolean).length;
  out({ event: 'ready', connected, failed: ok.length - connected });
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const cmd = line.trim();
    if (cmd === 'start') {
      c = fresh();
      replyMs.length = 0; firstDeltaMs.length = 0; deltasPerReply.length = 0;
      running = true;
      t0 = performance.now();
      const gap = A['spread-ms'] / Math.max(1, customers.length);
      customers.forEach((cu, i) => (gap ? setTimeout(() => running && ask(cu), i * gap) : ask(cu)));
      out({ event: 'started' });
    } else if (cmd === 'stop') {
      t1 = performance.now();
      const windowS = (t1 - t0) / 1000;
      const snapshot = { ...c, cancelled: { ...c.cancelled }, errors: { ...c.errors } };
      running = false;
      const deadline = performance.now() + A.settle * 1000;
      while (customers.some((cu) => cu.pending && !cu.dead) && performance.now() < deadline) await sleep(100);
      const unsettled = customers.filter((cu) => cu.pending && !cu.dead).length;
      out({
        event: 'result', customers: customers.length, connected, windowS: Math.round(windowS * 10) / 10, ...snapshot,
        deltasPerSec: Math.round((snapshot.deltas / windowS) * 10) / 10,
        completedPerSec: Math.round((snapshot.completed / windowS) * 100) / 100,
        replyMs: summary(replyMs), firstDeltaMs: summary(firstDeltaMs),
        deltasPerReply: { min: deltasPerReply.length ? Math.min(...deltasPerReply) : null, max: deltasPerReply.length ? Math.max(...deltasPerReply) : null },
        stillInFlightAfterSettle: unsettled,
      });
    } else if (cmd === 'quit') break;
  }
  for (const cu of customers) if (cu.sock) cu.sock.close();
  setTimeout(() => process.exit(0), 100);
}

main().catch((e) => { log(`failed: ${e.stack || e}`); process.exit(2); });
