// Preloaded into the shared load generator (`node -r bench/route_preload.js loadgen.js ...`) by
// bench/deployed.py: gives each socket a client address of its own role, so that behind nginx's
// `hash $remote_addr consistent` the customer of every room lands on one web process and its
// agent on the other (all traffic would otherwise come from 127.0.0.1 and reach one process).
//
// BENCH_ROUTE='{"user": ["127.0.0.2", ...], "agent": ["127.0.0.9", ...]}' lists the loopback
// addresses nginx sends to each process (deployed.py finds them from nginx's access log). A
// socket is an agent's when its token is an agentToken of --tokens-file, or --agent-token.
'use strict';
const fs = require('fs');
const Module = require('module');

const route = JSON.parse(process.env.BENCH_ROUTE || '{}');
const argv = process.argv;
const opt = (name) => { const i = argv.indexOf(`--${name}`); return i > 0 ? argv[i + 1] : ''; };
const agentTokens = new Set();
if (opt('tokens-file')) {
  const tf = JSON.parse(fs.readFileSync(opt('tokens-file'), 'utf8'));
  for (const r of tf.rooms || []) if (r.agentToken) agentTokens.add(r.agentToken);
  if (tf.agentToken) agentTokens.add(tf.agentToken);
}
if (opt('agent-token')) agentTokens.add(opt('agent-token'));
const next = { user: 0, agent: 0 };

function localAddress(opts) {
  const token = opts && opts.auth && opts.auth.token;
  const role = agentTokens.has(token) ? 'agent' : 'user';
  const pool = route[role] || [];
  if (!pool.length) return undefined;
  return pool[next[role]++ % pool.length];
}

const load = Module._load;
Module._load = function patched(request, ...rest) {
  const m = load.call(this, request, ...rest);
  if (request !== 'socket.io-client' || !route.user) return m;
  const io = (url, opts) => {
    const addr = localAddress(opts);
    return m.io(url, addr ? { ...opts, localAddress: addr } : opts);
  };
  return { ...m, io, default: io };
};
