#!/usr/bin/env node
// Reconnect-storm clients for bench/reconnect_storm.py: every room's customer and agent, driven
// phase by phase over stdin (one command a line) with one JSON answer line per command on stdout:
//
//   connect            open and join every socket (--concurrency at a time), like the harness
//   chat K             K messages per room over the sockets (acked); wait until all are delivered
//   disconnect         close every socket in one tick (client side)
//   await-disconnect S wait (<= S s) until every socket saw 'disconnect' (the server was killed)
//   post K             K messages per room over REST as the room's agent, while nobody listens
//   reconnect          open every socket again in one tick, join {sessionId, afterSeq}; time each
//                      client's catch-up (session:history) and check it: exactly the messages it
//                      missed, each once, in seq order
//   burst              --mode floor: 2 x --rooms fresh sockets in one tick, join by id (baseline B)
//
// --mode floor speaks the floor's contract: join by the bare room id (no afterSeq: the floor keeps
// no history), any ack is a success (it acks with nothing), tokens --user-token / --agent-token
// (distinct, so bench/route_preload.js can send each role to its own process behind nginx).
//   quit
//
// Needs socket.io-client: NODE_PATH=<harness>/node_modules. Progress on stderr (STORM_DEBUG=1: every
// event every client receives).
'use strict';
const fs = require('fs');
const readline = require('readline');
const { io } = require('socket.io-client');
const { performance } = require('perf_hooks');

const A = {
  url: '', path: '/socket.io/chat', 'tokens-file': '', mode: 'lc', rooms: 500, concurrency: 200,
  timeout: 90, 'post-concurrency': 32, settle: 1, 'user-token': 'bench-token', 'agent-token': 'bench-token',
};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in A)) throw new Error(`unknown option --${k}`);
  A[k] = typeof A[k] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
const log = (...m) => process.stderr.write(`[storm ${(performance.now() / 1000).toFixed(1)}s] ${m.join(' ')}\n`);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tag = Math.random().toString(36).slice(2, 8);
let phase = 0; // in every clientMessageId: a repeated id is a retry, which the server stores once and does not broadcast

// ---------------------------------------------------------------- rooms and clients
let rooms;
if (A.mode === 'floor') {
  const tokens = { user: A['user-token'], agent: A['agent-token'] };
  rooms = Array.from({ length: A.rooms }, (_, i) => ({ i, sid: `storm-${tag}-${i}`, tokens }));
} else {
  const spec = JSON.parse(fs.readFileSync(A['tokens-file'], 'utf8'));
  rooms = spec.rooms.map((r, i) => ({ i, sid: r.sessionId, tokens: { user: r.userToken, agent: r.agentToken } }));
}
for (const r of rooms) r.known = new Map(); // seq -> message id, from acks, REST answers and deliveries
const clients = [];
for (const room of rooms) for (const role of ['user', 'agent']) clients.push({ room, role, sock: null, maxSeq: 0, phaseRecv: 0, recv: null, disconnected: false });

const errors = new Map();
const noteErr = (e) => { const k = String((e && e.message) || e).slice(0, 100); errors.set(k, (errors.get(k) || 0) + 1); };
const takeErrors = () => { const o = Object.fromEntries(errors); errors.clear(); return o; };

function pct(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);
function summary(arr) {
  const s = Float64Array.from(arr).sort();
  return { n: s.length, p50: r1(pct(s, 0.5)), p90: r1(pct(s, 0.9)), p99: r1(pct(s, 0.99)), max: r1(s.length ? s[s.length - 1] : null) };
}

function onMessage(cl, m) {
  if (!m || typeof m !== 'object') return;
  const seq = Number(m.seq);
  if (Number.isFinite(seq)) {
    cl.room.known.set(seq, m.id);
    if (seq > cl.maxSeq) cl.maxSeq = seq;
  }
  cl.phaseRecv++;
  if (cl.recv) cl.recv.push({ id: m.id, seq });
}

// One socket: connect, join with `payload`; resolves when session:history arrives (or fails).
function open(cl, payload, t0) {
  return new Promise((resolve) => {
    let done = false;
    const s = io(A.url, {
      path: A.path, transports: ['websocket'], auth: { token: cl.room.tokens[cl.role] },
      forceNew: true, reconnection: false, timeout: A.timeout * 1000,
    });
    cl.sock = s;
    cl.disconnected = false;
    if (process.env.STORM_DEBUG) s.onAny( // every event each client gets, on stderr
      (ev, ...a) => log('ev', cl.room.i, cl.role, ev, JSON.stringify(a).slice(0, 150)));
    const finish = (ok, err, history) => {
      if (done) return; done = true; clearTimeout(timer);
      if (!ok) { noteErr(err); s.close(); }
      resolve({ ok, ms: performance.now() - t0, history });
    };
    const timer = setTimeout(() => finish(false, 'connect+join timeout'), A.timeout * 1000);
    s.on('connect_error', (e) => finish(false, `connect_error: ${e.message}`));
    s.on('connect', () => s.emit('join:session', typeof payload === 'function' ? payload() : payload));
    s.once('session:history', (h) => finish(true, null, h));
    s.on('message:new', (m) => onMessage(cl, m));
    s.on('error', (e) => { const w = `error event: ${(e && e.code) || 'unknown'}`; if (!done) finish(false, w); else noteErr(w); });
    s.on('disconnect', () => { cl.disconnected = true; });
  });
}

// What join:session carries: the floor takes the bare id; livechat an object, with afterSeq to catch up.
function joinPayload(cl, afterSeq) {
  if (A.mode === 'floor') return cl.room.sid;
  return afterSeq === undefined ? { sessionId: cl.room.sid } : { sessionId: cl.room.sid, afterSeq };
}

function historyMessages(h) {
  if (Array.isArray(h)) return h; // the floor's contract
  return (h && h.messages) || [];
}

// ---------------------------------------------------------------- phases
async function connectAll() {
  const t0 = performance.now();
  const times = [];
  let ok = 0, failed = 0, next = 0;
  async function worker() {
    while (next < clients.length) {
      const cl = clients[next++];
      const r = await open(cl, joinPayload(cl), performance.now());
      if (r.ok) {
        ok++; times.push(r.ms);
        for (const m of historyMessages(r.history)) onMessage(cl, m);
      } else failed++;
    }
  }
  await Promise.all(Array.from({ length: Math.min(A.concurrency, clients.length) }, worker));
  return { attempted: clients.length, ok, failed, allMs: r1(performance.now() - t0), perSocketMs: summary(times), errors: takeErrors() };
}

async function chat(k) {
  const t0 = performance.now();
  const ph = ++phase;
  for (const cl of clients) cl.phaseRecv = 0;
  let sent = 0, acked = 0, ackFailed = 0;
  const codes = {};
  const live = rooms.filter((r) => clients.some((c) => c.room === r && c.sock && c.sock.connected));
  for (let j = 0; j < k; j++) {
    for (const room of live) {
      const role = j % 2 ? 'agent' : 'user';
      const cl = clients[room.i * 2 + (role === 'user' ? 0 : 1)];
      sent++;
      cl.sock.emit('message:send', { sessionId: room.sid, content: `storm chat ${j} from ${role}`, clientMessageId: `${tag}.${ph}.c.${room.i}.${j}` }, (ack) => {
        if (A.mode === 'floor' && !(ack && ack.ok === false)) acked++; // the floor acks with nothing
        else if (ack && ack.ok) { acked++; room.known.set(ack.message.seq, ack.message.id); } else {
          ackFailed++; const c = String((ack && ack.error && ack.error.code) || 'error'); codes[c] = (codes[c] || 0) + 1;
        }
      });
    }
  }
  const deadline = performance.now() + A.timeout * 1000;
  const pending = () => acked + ackFailed < sent || clients.some((c) => c.sock && c.sock.connected && c.phaseRecv < k);
  while (pending() && performance.now() < deadline) await sleep(50);
  const short = clients.filter((c) => c.phaseRecv < k).length;
  return { sent, acked, ackFailed, ackCodes: codes, socketsShort: short, ms: r1(performance.now() - t0), errors: takeErrors() };
}

function disconnectAll() {
  const t0 = performance.now();
  for (const cl of clients) if (cl.sock) cl.sock.close();
  return { closed: clients.length, ms: r1(performance.now() - t0) };
}

async function awaitDisconnect(seconds) {
  const t0 = performance.now();
  while (clients.some((c) => c.sock && !c.disconnected) && performance.now() - t0 < seconds * 1000) await sleep(20);
  for (const cl of clients) if (cl.sock) cl.sock.close();
  return { disconnected: clients.filter((c) => c.disconnected).length, ms: r1(performance.now() - t0) };
}

async function post(k) {
  const t0 = performance.now();
  const ph = ++phase;
  const jobs = [];
  for (const room of rooms) for (let j = 0; j < k; j++) jobs.push([room, j]);
  let next = 0, posted = 0, failed = 0, duplicate = 0;
  const codes = {}, lat = [];
  async function worker() {
    while (next < jobs.length) {
      const [room, j] = jobs[next++];
      const body = JSON.stringify({ content: `missed ${j} in room ${room.i}`, clientMessageId: `${tag}.${ph}.p.${room.i}.${j}` });
      let done = false;
      for (let attempt = 0; attempt < 3 && !done; attempt++) {
        const t = performance.now();
        try {
          const res = await fetch(`${A.url}/api/support/chat/sessions/${room.sid}/messages`, {
            method: 'POST', body, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${room.tokens.agent}` },
          });
          const j2 = await res.json();
          if (res.status === 201 || res.status === 200) {
            room.known.set(j2.seq, j2.id); posted++; lat.push(performance.now() - t);
            if (res.status === 200) duplicate++; // a retry of a request whose answer was lost
          } else {
            failed++; const c = String((j2.error && j2.error.code) || res.status); codes[c] = (codes[c] || 0) + 1;
          }
          done = true;
        } catch (e) { if (attempt === 2) { failed++; noteErr(e); } else await sleep(200); } // same clientMessageId: no double store
      }
    }
  }
  await Promise.all(Array.from({ length: A['post-concurrency'] }, worker));
  const s = (performance.now() - t0) / 1000;
  return { posted, failed, duplicate, codes, ms: r1(s * 1000), perSec: r1(posted / s), latencyMs: summary(lat), errors: takeErrors() };
}

async function reconnect() {
  const before = clients.map((c) => c.maxSeq);
  for (const cl of clients) cl.recv = [];
  const t0 = performance.now();
  // every socket created in the same tick: the storm
  const results = await Promise.all(clients.map((cl, n) => open(cl, joinPayload(cl, before[n]), t0)));
  const allMs = performance.now() - t0;
  await sleep(A.settle * 1000); // a stray message:new (duplicate) would arrive now
  const times = [];
  const check = { expected: 0, received: 0, lost: 0, duplicated: 0, outOfOrder: 0, unexpected: 0, hasMore: 0, clientsCorrect: 0, clientsWrong: 0, lostByFailedClients: 0 };
  const examples = [];
  results.forEach((r, n) => {
    const cl = clients[n];
    const expected = [...cl.room.known.entries()].filter(([q]) => q > before[n]).sort((a, b) => a[0] - b[0]);
    check.expected += expected.length;
    if (!r.ok) { check.lostByFailedClients += expected.length; return; }
    times.push(r.ms);
    // The floors' history (C's last 50 of the room; B's is empty) carries no seq: not checked.
    const hist = A.mode === 'floor' ? [] : historyMessages(r.history);
    if (r.history && r.history.hasMore) check.hasMore++;
    const got = [...hist.map((m) => ({ id: m.id, seq: Number(m.seq) })), ...cl.recv];
    check.received += got.length;
    const count = new Map();
    for (const g of got) count.set(g.id, (count.get(g.id) || 0) + 1);
    const want = new Set(expected.map(([, id]) => id));
    let lost = 0, dup = 0, order = 0, unexpected = 0;
    for (const id of want) if (!count.has(id)) lost++;
    for (const [id, c] of count) { if (c > 1) dup += c - 1; if (!want.has(id)) unexpected++; }
    for (let i = 1; i < hist.length; i++) if (!(Number(hist[i].seq) > Number(hist[i - 1].seq))) order++;
    check.lost += lost; check.duplicated += dup; check.outOfOrder += order; check.unexpected += unexpected;
    if (lost || dup || order || unexpected) {
      check.clientsWrong++;
      if (examples.length < 3) examples.push({ room: cl.room.i, role: cl.role, afterSeq: before[n], want: expected.map(([q]) => q), got: got.map((g) => g.seq) });
    } else check.clientsCorrect++;
    for (const g of got) if (g.seq > cl.maxSeq) cl.maxSeq = g.seq;
  });
  for (const cl of clients) cl.recv = null;
  const ok = results.filter((r) => r.ok).length;
  return {
    attempted: clients.length, ok, failed: clients.length - ok, allMs: r1(allMs), perClientMs: summary(times),
    ...check, examples, errors: takeErrors(),
  };
}

async function burst() {
  const t0 = performance.now();
  const results = await Promise.all(clients.map((cl) => open(cl, cl.room.sid, t0)));
  const allMs = performance.now() - t0;
  const times = results.filter((r) => r.ok).map((r) => r.ms);
  return { attempted: clients.length, ok: times.length, failed: clients.length - times.length, allMs: r1(allMs), perClientMs: summary(times), errors: takeErrors() };
}

// ---------------------------------------------------------------- command loop
async function main() {
  out({ event: 'ready', clients: clients.length });
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [cmd, arg] = line.trim().split(/\s+/);
    const t = performance.now();
    let res;
    if (cmd === 'connect') res = await connectAll();
    else if (cmd === 'chat') res = await chat(Number(arg || 1));
    else if (cmd === 'disconnect') res = disconnectAll();
    else if (cmd === 'await-disconnect') res = await awaitDisconnect(Number(arg || 30));
    else if (cmd === 'post') res = await post(Number(arg || 3));
    else if (cmd === 'reconnect') res = await reconnect();
    else if (cmd === 'burst') res = await burst();
    else if (cmd === 'quit') break;
    else res = { error: `unknown command ${cmd}` };
    log(`${cmd} done in ${((performance.now() - t) / 1000).toFixed(2)} s`);
    out({ event: cmd, ...res });
  }
  for (const cl of clients) if (cl.sock) cl.sock.close();
  setTimeout(() => process.exit(0), 100);
}

main().catch((e) => { log(`failed: ${e.stack || e}`); process.exit(2); });
