/* livechat agent console — vanilla JS (ES2019), no framework, no build step.
 *
 * Runs under a strict CSP: no inline code or styles. Untrusted text (messages, names, profile values)
 * only reaches the DOM through textContent / setAttribute, never innerHTML.
 * Contract: docs/protocol.md (Socket.IO namespaces "/" and "/support") and README "REST API".
 */
(function () {
  'use strict';

  const TOKEN_KEY = 'livechat.console.token';
  const API = '/api/support/chat';
  const TITLE = 'Agent console — livechat';
  const STATS_EVERY_MS = 15000;
  const TYPING_REPEAT_MS = 3000; // the server drops a typing indicator after TYPING_TIMEOUT (5 s)
  const TYPING_IDLE_MS = 4000;
  const REMOTE_TYPING_MAX_MS = 7000;
  const ACK_TIMEOUT_MS = 10000;
  const $ = (id) => document.getElementById(id);
  let config = {};
  try {
    config = JSON.parse($('console-config').textContent) || {}; // dev mode data, rendered with |tojson
  } catch (e) { /* no config: production defaults */ }

  const state = {
    gen: 0, // bumped on every sign-in/out: late answers from an older sign-in are dropped
    token: null, me: null,
    via: null, // how this sign-in came: 'firebase' (the SDK renews its token) or a pasted/demo token
    firebase: null, // {auth, guard}: the Firebase SDK, with FIREBASE_WEB_CONFIG
    support: null, chat: null, // sockets on /support (queue, agents online) and / (conversations)
    queue: [], queueAt: 0, agentsOnline: [], myChats: [],
    names: new Map(), nameLookups: new Set(), // uid -> display name
    joined: new Set(), // sessions whose room the chat socket is in
    unread: new Map(), // sessionId -> new customer messages in chats not on screen
    conv: null, // the open conversation
    canned: { open: false, items: [], active: -1, seq: 0, dismissed: null }, // the "/" listbox
    cannedEditing: null, // the reply the management form edits (null: a new one)
    timers: {},
  };

  // ---- helpers ------------------------------------------------------------------------------
  /** An element. props: text, className, on: {event: fn}, anything else is an attribute. */
  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.keys(props || {}).forEach((key) => {
      const v = props[key];
      if (v === null || v === undefined || v === false) return;
      if (key === 'text') node.textContent = String(v);
      else if (key === 'className') node.className = v;
      else if (key === 'on') Object.keys(v).forEach((ev) => node.addEventListener(ev, v[ev]));
      else node.setAttribute(key, v === true ? '' : String(v));
    });
    (children || []).forEach((c) => {
      if (c !== null && c !== undefined && c !== false) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }
  function setText(id, text) {
    $(id).textContent = text === null || text === undefined ? '' : String(text);
  }
  function show(id, visible) {
    $(id).hidden = !visible;
  }
  function formatDuration(total) {
    const s = Math.max(0, Math.floor(Number(total) || 0));
    if (s < 60) return s + 's';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + String(s % 60).padStart(2, '0') + 's';
    return Math.floor(m / 60) + 'h ' + String(m % 60).padStart(2, '0') + 'm';
  }
  function formatTime(iso) {
    const d = iso ? new Date(iso) : null;
    if (!d || isNaN(d.getTime())) return '';
    const opts = { hour: '2-digit', minute: '2-digit' };
    if (d.toDateString() !== new Date().toDateString()) Object.assign(opts, { month: 'short', day: 'numeric' });
    return d.toLocaleString([], opts);
  }
  function humanise(key) {
    const s = String(key || '').replace(/[_-]+/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').trim();
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  }
  function displayValue(v) {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v === 'boolean') return v ? 'Yes' : 'No';
    if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return v.join(', ') || '—';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  function initial(name) {
    return (String(name || '?').trim().charAt(0) || '?').toUpperCase();
  }
  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    return Array.from(window.crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }
  function debounce(key, fn, ms) {
    clearTimeout(state.timers[key]);
    state.timers[key] = setTimeout(fn, ms);
  }
  function nameOf(uid) {
    return state.names.get(uid) || uid || 'Customer';
  }
  function rememberUser(user) {
    if (user && user.id && user.displayName) state.names.set(user.id, user.displayName);
  }
  /** Re-render a list without losing keyboard focus on one of its [data-session-id] buttons. */
  function keepFocus(list, render) {
    const active = document.activeElement;
    const id = active && list.contains(active) ? active.getAttribute('data-session-id') : null;
    render();
    const again = id && list.querySelector('button[data-session-id="' + CSS.escape(id) + '"]');
    if (again) again.focus();
  }

  // ---- token and REST -----------------------------------------------------------------------
  /** The JWT payload (base64url JSON), only to show who is signed in: the server verifies it. */
  function decodeToken(token) {
    try {
      let b64 = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      while (b64.length % 4) b64 += '=';
      const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))));
      if (!claims || typeof claims !== 'object') return null;
      const uid = claims.uid || claims.user_id || claims.sub;
      if (!uid) return null;
      return {
        uid: String(uid), name: String(claims.name || claims.email || ''), role: claims.role ? String(claims.role) : '',
        exp: typeof claims.exp === 'number' ? claims.exp : null,
      };
    } catch (e) {
      return null;
    }
  }
  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details || null;
    }
  }
  async function api(method, path, body) {
    const gen = state.gen;
    const init = { method: method, headers: { Authorization: 'Bearer ' + state.token, Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection.');
    }
    const data = await resp.json().catch(() => null);
    if (gen !== state.gen) throw new ApiError(0, 'stale', 'Signed out meanwhile.');
    if (!resp.ok) {
      const e = (data && data.error) || {};
      const err = new ApiError(resp.status, e.code || 'http_' + resp.status, e.message || resp.statusText || 'Request failed.', e.details);
      if (resp.status === 401) authFailed(signinMessage(err.code, err.message), err.code);
      throw err;
    }
    return data;
  }
  /** Errors the caller should not report: a stale answer, or a 401 (already back at sign-in). */
  function silent(err) {
    return err.code === 'stale' || err.status === 401;
  }
  function errorText(err) {
    return ((err && err.message) || 'Something went wrong.') + (err && err.code ? ' (' + err.code + ')' : '');
  }
  function signinMessage(code, message) {
    if (code === 'forbidden') return 'This account is not a support agent: the agent or admin role is needed. (forbidden)';
    if (code === 'token_expired') return 'Your token has expired: sign in again. (token_expired)';
    return 'Sign-in rejected: ' + (message || 'the token was not accepted.') + (code ? ' (' + code + ')' : '');
  }

  // ---- sign-in / sign-out -------------------------------------------------------------------
  function showSigninError(text) {
    setText('signin-error', text);
    show('signin-error', !!text);
  }
  function setSigninBusy(busy) {
    document.querySelectorAll('#signin button, #signin textarea, #signin input').forEach((b) => { b.disabled = busy; });
    $('signin').setAttribute('aria-busy', String(busy));
  }
  async function signIn(rawToken, via) {
    const token = String(rawToken || '').trim();
    if (!token) return showSigninError('Paste a token first.');
    const me = decodeToken(token);
    if (!me) return showSigninError('That does not look like a token (a JWT with a user id is expected).');
    state.gen += 1;
    state.token = token;
    state.me = me;
    state.via = via || 'token';
    showSigninError('');
    setSigninBusy(true);
    let stats;
    try {
      stats = await api('GET', API + '/stats'); // checks the token and the role before anything else
    } catch (err) {
      setSigninBusy(false);
      if (silent(err)) return;
      $('token-input').value = err.status === 403 || state.via === 'firebase' ? '' : token;
      return signOut(err.status === 403 ? signinMessage('forbidden') : errorText(err));
    }
    setSigninBusy(false);
    if (state.via !== 'firebase') sessionStorage.setItem(TOKEN_KEY, token); // the SDK keeps its own
    showApp();
    renderStats(stats);
    connect();
    loadMyChats();
    startTimers();
    notifyStart();
  }
  async function demoSignIn(button) {
    const attr = (name) => button.getAttribute(name) || '';
    const params = new URLSearchParams({ uid: attr('data-uid'), role: attr('data-role') || 'agent', name: attr('data-name') || attr('data-uid') });
    showSigninError('');
    setSigninBusy(true);
    try {
      const resp = await fetch((config.devTokenUrl || '/dev/token') + '?' + params.toString());
      const body = await resp.json().catch(() => null);
      if (!resp.ok || !body || !body.token) throw new Error((body && body.error && body.error.message) || 'Could not get a dev token.');
      setSigninBusy(false);
      await signIn(body.token);
    } catch (e) {
      setSigninBusy(false);
      showSigninError(e.message || 'Could not get a dev token.');
    }
  }
  function authFailed(message, code) {
    if (code === 'token_expired' && renewFirebaseToken(message)) return;
    if (state.token) signOut(message);
  }
  function signOut(message) {
    stopTyping();
    closeCanned();
    showCannedPanel(false, false);
    notifyStop();
    showTeamPanel(false, false);
    state.gen += 1;
    stopTimers();
    disconnect();
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.via === 'firebase') firebaseSignOut();
    Object.assign(state, { token: null, me: null, via: null, queue: [], queueTotal: 0, agentsOnline: [], myChats: [], conv: null });
    state.joined.clear();
    state.unread.clear();
    show('app', false);
    show('signin', true);
    document.title = TITLE;
    ['queue', 'my-chats', 'agents-online'].forEach((id) => clear($(id)));
    resetConversationView();
    showSigninError(message || '');
    setSigninBusy(false);
    const first = document.querySelector('[data-testid="console-demo-agent"], #signin-email') || $('token-input');
    if (first) first.focus();
  }
  function showApp() {
    const me = state.me;
    show('signin', false);
    show('app', true);
    setText('me-name', me.name || me.uid);
    setText('me-detail', [me.role || 'agent', me.name ? me.uid : ''].filter(Boolean).join(' · '));
    setText('me-avatar', initial(me.name || me.uid));
    show('team-toggle', me.role === 'admin'); // the server refuses others anyway (403)
    state.names.set(me.uid, me.name || me.uid);
    renderQueue();
    renderMyChats();
    renderAgents();
    resetConversationView();
    setStatus('connecting');
  }

  // ---- sockets ------------------------------------------------------------------------------
  function connect() {
    const origin = window.location.origin;
    const opts = { path: config.socketPath || '/socket.io/chat', auth: { token: state.token } };
    const support = window.io(origin + '/support', opts);
    const chat = window.io(origin, opts);
    state.support = support;
    state.chat = chat;
    [support, chat].forEach((socket) => {
      socket.on('connect', updateStatus);
      socket.on('connect', () => countOn('status', 'data-connects')); // a reconnect shows here
      socket.on('disconnect', (reason) => {
        if (socket === chat) state.joined.clear();
        if (socket === support) renderMyStatus();
        updateStatus();
        // A server-side disconnect is not retried by the client: try once more (a bad token then
        // fails with connect_error and returns to the sign-in screen).
        if (reason === 'io server disconnect') setTimeout(() => { if (state.chat === chat) socket.connect(); }, 2000);
      });
      socket.on('connect_error', onConnectError);
      socket.on('error', (e) => window.console.warn('livechat: socket error', e));
    });
    chat.io.on('reconnect_attempt', updateStatus);
    support.on('queue:updated', applyQueue);
    support.on('queue:sla_breached', markSlaBreached);
    support.on('session:escalated', (d) => notice('New chat waiting' + (d && d.reason ? ': ' + humanise(d.reason) : '') + '.'));
    support.on('session:transferred', onTransferred);
    chat.on('connect', onChatConnect);
    chat.on('session:history', onHistory);
    chat.on('message:new', onMessageNew);
    chat.on('note:new', upsertNote);
    chat.on('message:read', onMessageRead);
    chat.on('typing:start', (d) => onTyping(d, true));
    chat.on('typing:stop', (d) => onTyping(d, false));
    chat.on('session:updated', onSessionUpdated);
    notifyWire(support, chat);
  }
  function disconnect() {
    if (state.chat) state.chat.io.off('reconnect_attempt', updateStatus);
    [state.support, state.chat].forEach((s) => {
      if (!s) return;
      s.removeAllListeners();
      s.disconnect();
    });
    state.support = null;
    state.chat = null;
    setStatus('offline');
  }
  function onConnectError(err) {
    const data = (err && err.data) || {};
    const code = data.code || (err && err.message);
    if (code === 'unauthorized' || code === 'forbidden') {
      authFailed(code === 'forbidden' ? signinMessage('forbidden') : signinMessage(data.reason || code, data.message), data.reason || code);
    } else {
      updateStatus(); // a transport problem: the client retries by itself
    }
  }
  function updateStatus() {
    const { support, chat } = state;
    if (!support || !chat) return setStatus('offline');
    if (support.connected && chat.connected) return setStatus('connected');
    if (navigator.onLine !== false && (support.active || chat.active)) return setStatus('connecting');
    return setStatus('offline');
  }
  function setStatus(s) {
    if ($('status').getAttribute('data-state') === s) return;
    $('status').setAttribute('data-state', s);
    setText('status-text', { connected: 'Connected', connecting: 'Connecting…', offline: 'Offline' }[s]);
  }
  /** emit with an ack; resolves {ok, ...} or {ok: false, error} (also on timeout). */
  function emitAck(socket, event, payload) {
    return new Promise((resolve) => {
      if (!socket) return resolve({ ok: false, error: { code: 'offline', message: 'Not connected.' } });
      socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, ack) => {
        if (err) resolve({ ok: false, error: { code: 'timeout', message: 'The server did not answer in time; try again.' } });
        else resolve(ack && typeof ack === 'object' ? ack : { ok: false, error: { code: 'no_ack', message: 'No answer.' } });
      });
    });
  }
  function requestQueue() {
    const support = state.support;
    if (support && support.connected) emitAck(support, 'queue:get', null).then((ack) => { if (ack.ok && state.support === support) applyQueue(ack); });
  }
  function onChatConnect() {
    updateStatus();
    state.joined.clear();
    if (state.conv) joinCurrent(); // with afterSeq: exactly the messages missed
    ensureJoined();
  }

  // ---- Firebase sign-in and token refresh (FIREBASE_WEB_CONFIG) -------------------------------
  const FIREBASE_GUARD_MARGIN_MS = 3 * 60 * 1000; // refresh at the latest this long before exp
  const FIREBASE_RETRY_MS = 30000; // a refresh that failed (offline) is tried again this often
  const WRONG_CREDENTIALS = ['Wrong e-mail address or password. Check both and try again.', 'password'];
  /** Firebase error code -> [what to tell the agent, the field to mark]. */
  const FIREBASE_ERRORS = {
    'auth/wrong-password': ['Wrong password for this account. Try again.', 'password'],
    'auth/invalid-credential': WRONG_CREDENTIALS,
    'auth/invalid-login-credentials': WRONG_CREDENTIALS,
    'auth/user-not-found': ['There is no account with this e-mail address.', 'email'],
    'auth/invalid-email': ['That is not a valid e-mail address.', 'email'],
    'auth/missing-email': ['Enter your e-mail address.', 'email'],
    'auth/missing-password': ['Enter your password.', 'password'],
    'auth/user-disabled': ['This account is disabled: ask an admin.', 'email'],
    'auth/too-many-requests': ['Too many attempts: wait a few minutes before trying again.', null],
    'auth/network-request-failed': ['Cannot reach the sign-in service: check your network connection and try again.', null],
    'auth/popup-closed-by-user': ['The Google window was closed before you signed in.', null],
    'auth/cancelled-popup-request': ['The Google window was closed before you signed in.', null],
    'auth/popup-blocked': ['The browser blocked the Google window: allow pop-ups for this site and try again.', null],
    'auth/operation-not-allowed': ['This way of signing in is not enabled for this project.', null],
  };
  function countOn(id, attr) {
    const node = $(id);
    node.setAttribute(attr, String(Number(node.getAttribute(attr) || 0) + 1));
  }
  function initFirebase() {
    const fb = config.firebase;
    if (!fb) return;
    if (!window.firebase || typeof window.firebase.initializeApp !== 'function') {
      return showSigninError('The sign-in library did not load: reload the page.');
    }
    const auth = window.firebase.initializeApp(fb.config).auth();
    if (fb.emulatorUrl) auth.useEmulator(fb.emulatorUrl, { disableWarnings: true }); // tests only
    state.firebase = { auth: auth, guard: null };
    // The SDK's own persistence: signed in across reloads until "Sign out".
    auth.setPersistence(window.firebase.auth.Auth.Persistence.LOCAL).catch(() => {});
    auth.onIdTokenChanged(onFirebaseUser);
    $('firebase-form').addEventListener('submit', (e) => {
      e.preventDefault();
      firebaseSignIn('password');
    });
    if ($('signin-google')) $('signin-google').addEventListener('click', () => firebaseSignIn('google'));
  }
  /** Sign-in, every new ID token (the SDK's hourly refresh, the guard's) and sign-out elsewhere. */
  async function onFirebaseUser(user) {
    const fb = state.firebase;
    clearTimeout(fb.guard);
    if (!user) {
      if (state.via === 'firebase' && state.token) signOut(''); // signed out in another tab
      return;
    }
    let token;
    try {
      token = await user.getIdToken();
    } catch (e) {
      return; // offline: the SDK tries again, and tells us
    }
    const me = decodeToken(token);
    if (!me || fb.auth.currentUser !== user || token === state.token) return;
    guardToken(user, me.exp);
    if (state.token && state.via !== 'firebase') return; // signed in with a pasted token meanwhile
    if (state.token && state.me && state.me.uid === me.uid) return refreshSockets(token, me);
    if (state.token) signOut(''); // another account in this browser: start over as that one
    $('signin-password').value = '';
    signIn(token, 'firebase');
  }
  /** Not only the SDK's own refresh: a new token a few minutes before this one expires. */
  function guardToken(user, exp) {
    const fb = state.firebase;
    clearTimeout(fb.guard);
    if (!exp) return;
    const ms = Math.max(exp * 1000 - Date.now() - FIREBASE_GUARD_MARGIN_MS, FIREBASE_RETRY_MS);
    // The new token arrives through onIdTokenChanged; a failed refresh is tried again.
    fb.guard = setTimeout(() => user.getIdToken(true).catch(() => guardToken(user, exp)), Math.min(ms, 2147483647));
  }
  /** The same agent's new token: every open socket takes it (no reconnect: open chats and
   *  queued sends stay), REST and any later reconnect use it, and the expiry moves. */
  function refreshSockets(token, me) {
    const gen = state.gen;
    state.token = token;
    state.me.exp = me.exp;
    clearTimeout(state.timers.expiry);
    const ms = me.exp ? me.exp * 1000 - Date.now() : 0;
    if (ms > 0 && ms < 2147483647) state.timers.expiry = setTimeout(() => authFailed(signinMessage('token_expired'), 'token_expired'), ms);
    [state.support, state.chat].forEach((socket) => {
      if (!socket) return;
      socket.auth = { token: token };
      if (!socket.connected) {
        if (!socket.active) socket.connect(); // refused for an expired token: back with this one
        return; // reconnecting: with the new token
      }
      emitAck(socket, 'auth:refresh', { token: token }).then((ack) => {
        if (gen !== state.gen) return;
        if (ack.ok) return countOn('status', 'data-auth-refreshes');
        const e = ack.error || {};
        if (e.code === 'forbidden' || e.code === 'uid_mismatch') authFailed(signinMessage(e.code, e.message));
        else window.console.warn('livechat: auth:refresh refused', e.code);
      });
    });
  }
  function markSigninField(field) {
    ['email', 'password'].forEach((f) => {
      const input = $('signin-' + f);
      if (f === field) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', 'signin-error');
      } else {
        input.removeAttribute('aria-invalid');
        input.removeAttribute('aria-describedby');
      }
    });
    if (field) $('signin-' + field).focus();
  }
  async function firebaseSignIn(how) {
    const auth = state.firebase && state.firebase.auth;
    if (!auth) return;
    const email = $('signin-email').value.trim();
    const password = $('signin-password').value;
    const missing = how === 'password' && (!email ? 'auth/missing-email' : !password ? 'auth/missing-password' : null);
    if (missing) {
      showSigninError(FIREBASE_ERRORS[missing][0]);
      return markSigninField(FIREBASE_ERRORS[missing][1]);
    }
    markSigninField(null);
    showSigninError('');
    setSigninBusy(true);
    try {
      if (how === 'google') await auth.signInWithPopup(new window.firebase.auth.GoogleAuthProvider());
      else await auth.signInWithEmailAndPassword(email, password);
      // onIdTokenChanged signs the console in with the new ID token.
    } catch (e) {
      setSigninBusy(false);
      const known = FIREBASE_ERRORS[e && e.code];
      showSigninError(known ? known[0] : 'Sign-in failed: ' + ((e && e.message) || 'unknown error') + (e && e.code ? ' (' + e.code + ')' : ''));
      markSigninField(known ? known[1] : null);
    }
  }
  /** An expired token (a laptop that slept past exp, a refresh missed offline): a Firebase
   *  sign-in gets a new one instead of being signed out, at most once a minute. */
  function renewFirebaseToken(message) {
    const fb = state.firebase;
    const user = state.via === 'firebase' && fb && fb.auth.currentUser;
    if (!user || Date.now() - (fb.renewedAt || 0) < 60000) return false;
    fb.renewedAt = Date.now();
    const gen = state.gen;
    user.getIdToken(true).catch(() => { if (gen === state.gen) signOut(message); });
    return true;
  }
  function firebaseSignOut() {
    const fb = state.firebase;
    if (!fb) return;
    clearTimeout(fb.guard);
    if (fb.auth.currentUser) fb.auth.signOut().catch(() => {});
  }

  // ---- queue, agents online, live figures -----------------------------------------------------
  function applyQueue(data) {
    const waiting = data && Array.isArray(data.waiting) ? data.waiting : [];
    // The server's order (priority, then the longest wait); older servers sent no position.
    state.queue = waiting.slice().sort((a, b) => (a.position || 0) - (b.position || 0)); // stable
    state.queueAt = Date.now();
    // The server lists the first 100 waiting chats; waitingTotal counts them all.
    state.queueTotal = data && Number.isInteger(data.waitingTotal) ? data.waitingTotal : state.queue.length;
    state.agentsOnline = data && Array.isArray(data.agentsOnline) ? data.agentsOnline : [];
    state.queue.forEach((item) => rememberUser(item.customer));
    state.agentsOnline.forEach(rememberUser);
    renderQueue();
    renderAgents();
    renderMyStatus();
    renderTransferTargets();
    debounce('mychats', loadMyChats, 250);
    debounce('stats', loadStats, 400);
  }
  /** Marks the chat at once; the queue:updated that follows carries slaBreachedAt too. */
  function markSlaBreached(data) {
    const item = state.queue.find((q) => data && q.id === data.sessionId);
    if (!item || item.slaBreachedAt) return;
    item.slaBreachedAt = new Date().toISOString();
    renderQueue();
  }
  /** metadata.escalation has everything (rule, intent); the queue item's `escalation` a subset. */
  function escalationOf(session) {
    const meta = (session && session.metadata) || {};
    const esc = Object.assign({}, meta.escalation || {}, session.escalation || {});
    esc.intent = esc.intent || (meta.analysis && meta.analysis.intent) || '';
    esc.priority = String(esc.priority || '').toUpperCase();
    return esc;
  }
  /** The AI stores its rule name as `reason`; the sentence is in the summary's first line. */
  function reasonText(esc) {
    const reason = String(esc.reason || '');
    if (!/^[a-z_]+$/.test(reason)) return reason;
    const m = /^Handed over: [a-z_]+ \((.+)\)$/m.exec(esc.summary || '');
    return m ? m[1] : humanise(reason);
  }
  function priorityBadge(priority) {
    const p = String(priority || '').toUpperCase();
    return p ? el('span', { className: 'badge prio prio-' + p.toLowerCase(), 'data-testid': 'console-priority', text: p }) : null;
  }
  function renderQueue() {
    const list = $('queue');
    keepFocus(list, () => {
      clear(list);
      state.queue.forEach((item) => list.appendChild(queueItem(item)));
    });
    const n = state.queue.length;
    const total = Math.max(n, state.queueTotal || 0);
    setText('queue-count', total);
    $('queue-count').setAttribute('title', total > n ? 'The first ' + n + ' of ' + total + ' waiting are listed' : '');
    show('queue-empty', n === 0);
    notifyTitle(); // the count of unseen notifications (issue 20), no longer the queue's length
    tick();
  }
  function queueItem(item) {
    const esc = escalationOf(item);
    const customer = item.customer || {};
    const name = customer.displayName || customer.id || item.userId || 'Customer';
    const chips = [];
    if (esc.rule) chips.push(el('span', { className: 'chip', title: 'Escalation rule', text: humanise(esc.rule) }));
    if (esc.intent && esc.intent !== esc.rule) chips.push(el('span', { className: 'chip chip-muted', title: 'Intent', text: humanise(esc.intent) }));
    const priority = String(item.priority || esc.priority || '').toUpperCase();
    return el('li', { className: 'queue-item', 'data-testid': 'console-queue-item', 'data-session-id': item.id, 'data-priority': priority || null, 'data-sla-breached': item.slaBreachedAt ? 'true' : null }, [
      el('div', { className: 'qi-top' }, [
        item.position ? el('span', { className: 'qi-pos', 'data-testid': 'console-queue-position', title: 'Queue position', text: '#' + item.position }) : null,
        priorityBadge(priority),
        el('span', { className: 'qi-name', id: 'queue-name-' + item.id, 'data-testid': 'console-queue-name', text: name }),
        el('span', { className: 'qi-wait', 'data-testid': 'console-queue-wait', 'data-base': item.waitSeconds || 0 }),
      ]),
      el('div', { className: 'qi-id' }, [el('code', { text: customer.id || item.userId || '' })]),
      // Text and an icon, not colour alone (WCAG 1.4.1).
      item.slaBreachedAt ? el('p', { className: 'qi-sla', 'data-testid': 'console-queue-sla', text: '⚠ First-response time missed' }) : null,
      esc.reason ? el('p', { className: 'qi-reason', 'data-testid': 'console-queue-reason', text: reasonText(esc) }) : null,
      chips.length ? el('div', { className: 'chips' }, chips) : null,
      el('button', {
        type: 'button', className: 'btn btn-primary btn-small', 'data-testid': 'console-assign', 'data-session-id': item.id,
        // Named by its visible text (label in name, WCAG 2.5.3); whose chat it is, as a description.
        'aria-describedby': 'queue-name-' + item.id, on: { click: (e) => assign(item.id, e.currentTarget) },
      }, ['Assign to me']),
    ]);
  }
  /** Every second: each waiting time is its waitSeconds plus the time since that queue:updated. */
  function tick() {
    const elapsed = state.queueAt ? Math.floor((Date.now() - state.queueAt) / 1000) : 0;
    document.querySelectorAll('#queue .qi-wait').forEach((node) => {
      const secs = Number(node.getAttribute('data-base')) + elapsed;
      node.textContent = formatDuration(secs);
      node.setAttribute('title', 'Waiting for ' + formatDuration(secs));
      node.classList.toggle('qi-wait-long', secs >= 300);
    });
  }
  function renderAgents() {
    const list = clear($('agents-online'));
    state.agentsOnline.forEach((a) => {
      const name = a.displayName || a.id;
      list.appendChild(el('li', { className: 'agent', 'data-testid': 'console-agent', 'data-uid': a.id }, [
        el('span', { className: 'avatar avatar-small', 'aria-hidden': 'true', text: initial(name) }),
        el('span', { className: 'agent-name', text: name + (state.me && a.id === state.me.uid ? ' (you)' : '') }),
        a.role === 'admin' ? el('span', { className: 'tag', text: 'admin' }) : null,
        a.status ? el('span', { className: 'tag tag-' + a.status, 'data-testid': 'console-agent-state',
          text: humanise(a.status) + (typeof a.openChats === 'number' ? ' · ' + a.openChats + ' open' : '') }) : null,
      ]));
    });
    setText('agents-count', state.agentsOnline.length);
  }
  /** The status control shows what the server says, unless the agent is choosing right now. */
  function renderMyStatus() {
    const select = $('agent-status');
    const me = state.me && state.agentsOnline.find((a) => a.id === state.me.uid);
    select.disabled = !(state.support && state.support.connected);
    if (me && me.status && document.activeElement !== select) select.value = me.status;
  }
  async function changeMyStatus(e) {
    const select = e.currentTarget, support = state.support;
    if (!support || !support.connected) return;
    const ack = await emitAck(support, 'agent:status', { status: select.value });
    if (ack.ok) notice('Your status: ' + humanise(ack.status) + '.');
    else {
      notice('Could not change your status: ' + errorText(ack.error), 'error');
      requestQueue(); // shows the status the server has
    }
  }
  async function loadStats() {
    if (!state.token) return;
    try {
      renderStats(await api('GET', API + '/stats'));
    } catch (e) { /* best effort; a 401 is handled in api() */ }
  }
  function renderStats(s) {
    if (!s) return;
    const share = s.aiResolvedShare;
    setText('stat-waiting', s.waitingNow != null ? s.waitingNow : '–');
    setText('stat-median', formatDuration(s.medianWaitSeconds));
    setText('stat-longest', formatDuration(s.longestWaitSeconds));
    setText('stat-today', s.chatsToday != null ? s.chatsToday : '–');
    setText('stat-ai', share === null || share === undefined ? '—' : Math.round(share * 100) + '%');
    $('stat-ai').setAttribute('title', 'Of ' + (s.endedToday || 0) + ' chats ended today');
    $('stat-waiting').closest('dl').setAttribute('title', s.asOf ? 'As of ' + formatTime(s.asOf) : '');
  }
  function startTimers() {
    stopTimers();
    state.timers.tick = setInterval(tick, 1000);
    state.timers.stats = setInterval(loadStats, STATS_EVERY_MS);
    const ms = state.me && state.me.exp ? state.me.exp * 1000 - Date.now() : 0;
    if (ms > 0 && ms < 2147483647) state.timers.expiry = setTimeout(() => authFailed(signinMessage('token_expired'), 'token_expired'), ms);
  }
  function stopTimers() {
    Object.keys(state.timers).forEach((k) => { clearInterval(state.timers[k]); clearTimeout(state.timers[k]); });
    state.timers = {};
  }

  // ---- assignment and my chats ----------------------------------------------------------------
  async function assign(sessionId, button) {
    button.disabled = true;
    button.textContent = 'Assigning…';
    try {
      const session = await api('POST', API + '/sessions/' + encodeURIComponent(sessionId) + '/assign', {});
      notice('Chat assigned to you.');
      loadMyChats();
      openChat(sessionId, session);
    } catch (err) {
      if (silent(err)) return;
      if (err.code === 'already_assigned') notice('Another agent already took this chat. (already_assigned)', 'error');
      else if (err.code === 'session_ended') notice('That chat has already ended. (session_ended)', 'error');
      else notice('Could not assign: ' + errorText(err), 'error');
      if (button.isConnected) {
        button.disabled = false;
        button.textContent = 'Assign to me';
      }
      requestQueue();
    }
  }
  async function loadMyChats() {
    if (!state.token) return;
    const q = new URLSearchParams({ agentId: state.me.uid, status: 'ACTIVE', pageSize: '50' });
    let page;
    try {
      page = await api('GET', API + '/sessions?' + q.toString());
    } catch (err) {
      if (!silent(err)) notice('Could not load your chats: ' + errorText(err), 'error');
      return;
    }
    const before = state.myChats.map((s) => s.id);
    state.myChats = (page && page.items) || [];
    before.forEach((id) => {
      if (state.myChats.some((s) => s.id === id)) return;
      state.unread.delete(id);
      if (!(state.conv && state.conv.id === id)) leave(id);
    });
    renderMyChats();
    ensureJoined();
    state.myChats.forEach(lookupName);
  }
  /** A session carries only the customer's id: learn an unknown name once from the detail. */
  function lookupName(session) {
    const uid = session.userId;
    if (!uid || state.names.has(uid) || state.nameLookups.has(uid)) return;
    state.nameLookups.add(uid);
    api('GET', API + '/sessions/' + encodeURIComponent(session.id))
      .then((d) => { rememberUser(d && d.customer); renderMyChats(); })
      .catch(() => state.nameLookups.delete(uid));
  }
  function renderMyChats() {
    const list = $('my-chats');
    const current = state.conv && state.conv.id;
    keepFocus(list, () => {
      clear(list);
      state.myChats.forEach((s) => {
        const name = nameOf(s.userId);
        const unread = state.unread.get(s.id) || 0;
        const since = s.assignedAt || s.updatedAt;
        list.appendChild(el('li', null, [el('button', {
          type: 'button', className: 'chat-item' + (s.id === current ? ' is-current' : ''), 'data-testid': 'console-chat-item',
          'data-session-id': s.id, 'aria-current': s.id === current ? 'true' : null, on: { click: () => openChat(s.id, s) },
        }, [
          el('span', { className: 'avatar', 'aria-hidden': 'true', text: initial(name) }),
          el('span', { className: 'chat-item-text' }, [
            el('span', { className: 'chat-item-name', text: name }),
            el('span', { className: 'chat-item-sub', text: (s.subject || 'Chat') + (since ? ' · since ' + formatTime(since) : '') }),
            handedToMe(s) && s.transfer.note ? el('span', {
              className: 'chat-item-note', 'data-testid': 'console-chat-item-note', text: 'Note from ' + nameOf(s.transfer.fromAgentId) + ': ' + s.transfer.note,
            }) : null,
          ]),
          unread ? el('span', { className: 'unread', 'data-testid': 'console-unread', text: unread, 'aria-label': unread + ' new' }) : null,
        ])]));
      });
    });
    setText('mychats-count', state.myChats.length);
    show('mychats-empty', state.myChats.length === 0);
  }
  /** Stay in the rooms of all my active chats, so messages in chats not on screen count as unread. */
  function ensureJoined() {
    const chat = state.chat;
    if (!chat || !chat.connected) return;
    state.myChats.forEach((s) => {
      if (state.joined.has(s.id) || (state.conv && state.conv.id === s.id)) return;
      state.joined.add(s.id);
      emitAck(chat, 'join:session', { sessionId: s.id }).then((ack) => { if (!ack.ok) state.joined.delete(s.id); });
    });
  }
  function leave(sessionId) {
    if (!state.joined.delete(sessionId)) return;
    if (state.chat && state.chat.connected) state.chat.emit('leave:session', { sessionId: sessionId });
  }

  // ---- conversation -------------------------------------------------------------------------
  function resetConversationView() {
    const conv = $('conversation');
    conv.setAttribute('data-state', 'empty');
    conv.removeAttribute('data-session-id');
    conv.removeAttribute('data-status');
    setText('conv-title', 'No chat open');
    setText('conv-sub', '');
    clear($('messages'));
    ['conv-status', 'end-chat', 'end-form', 'messages', 'typing', 'conv-banner', 'composer', 'customer-body', 'conv-transfer'].forEach((id) => show(id, false));
    closeTransfer(false);
    show('transfer-toggle', false);
    ['conv-empty', 'customer-empty'].forEach((id) => show(id, true));
    showConvError('');
    closeCanned();
    $('composer-input').value = '';
    $('note-toggle').checked = false; // each chat opens in reply mode
  }
  function openChat(sessionId, hint) {
    if (state.conv && state.conv.id === sessionId) {
      if (hint) applySession(hint);
      return focusComposer();
    }
    const prev = state.conv;
    stopTyping();
    resetConversationView();
    state.conv = {
      id: sessionId, session: null, messages: new Map(), maxSeq: 0, notes: new Map(), maxNoteSeq: 0, readSent: 0, typing: false,
      typingSentAt: 0, remoteTyping: null, sending: false, pending: null, focused: false,
    };
    state.unread.delete(sessionId);
    if (prev && !state.myChats.some((s) => s.id === prev.id)) leave(prev.id);
    const conv = $('conversation');
    conv.setAttribute('data-state', 'open');
    conv.setAttribute('data-session-id', sessionId);
    show('conv-empty', false);
    show('messages', true);
    show('composer', true);
    setText('conv-title', hint ? nameOf(hint.userId) : 'Loading…');
    if (hint) applySession(hint);
    renderMyChats();
    joinCurrent();
    loadDetail(sessionId);
    if (window.matchMedia('(max-width: 900px)').matches) conv.scrollIntoView({ block: 'start' });
  }
  async function joinCurrent() {
    const conv = state.conv;
    const chat = state.chat;
    if (!conv || !chat || !chat.connected) return; // the connect handler joins
    const payload = conv.maxSeq > 0 ? { sessionId: conv.id, afterSeq: conv.maxSeq } : { sessionId: conv.id };
    if (conv.maxNoteSeq > 0) payload.afterNoteSeq = conv.maxNoteSeq; // exactly the notes missed
    state.joined.add(conv.id);
    const ack = await emitAck(chat, 'join:session', payload);
    if (state.conv !== conv || ack.ok) return;
    state.joined.delete(conv.id);
    showConvError('Could not open this chat: ' + errorText(ack.error));
  }
  /** REST detail: the customer, tickets, analysis and escalation (and up to 200 messages). */
  async function loadDetail(sessionId) {
    let detail;
    try {
      detail = await api('GET', API + '/sessions/' + encodeURIComponent(sessionId));
    } catch (err) {
      if (!silent(err) && state.conv && state.conv.id === sessionId) showConvError('Could not load the chat: ' + errorText(err));
      return;
    }
    if (!state.conv || state.conv.id !== sessionId) return;
    rememberUser(detail.customer);
    const nearEnd = isNearEnd();
    (detail.messages || []).forEach(upsertMessage);
    (detail.notes || []).forEach(upsertNote);
    applySession(detail.session);
    renderCustomer(detail);
    scrollToEnd(nearEnd);
    markRead();
  }
  function applySession(session) {
    const conv = state.conv;
    if (!conv || !session || session.id !== conv.id) return;
    const s = (conv.session = Object.assign({}, conv.session || {}, session));
    const mine = s.agentId === state.me.uid;
    const ended = s.status === 'ENDED';
    rememberUser(s.agent);
    setText('conv-title', nameOf(s.userId));
    const agent = s.agentId ? 'Agent: ' + (mine ? 'you' : nameOf(s.agentId)) : '';
    setText('conv-sub', [s.subject, s.createdAt ? 'Started ' + formatTime(s.createdAt) : '', agent].filter(Boolean).join(' · '));
    setText('conv-status', s.status);
    $('conv-status').className = 'badge status-' + String(s.status || '').toLowerCase();
    show('conv-status', true);
    $('conversation').setAttribute('data-status', s.status || '');
    show('end-chat', true);
    $('end-chat').disabled = ended;
    let text = '';
    if (ended) {
      text = 'This chat has ended' + (s.endedAt ? ' (' + formatTime(s.endedAt) + ')' : '') + '. The customer can start a new one.';
      if (s.outcome) text += ' Outcome: ' + (OUTCOMES[s.outcome] || s.outcome) + '.' + (s.outcomeNote ? ' Note: ' + s.outcomeNote : '');
      showEndForm(false);
    }
    else if (s.status === 'WAITING') text = 'Waiting in the queue: assign it to yourself to reply.';
    else if (!mine) text = s.agentId ? 'Assigned to ' + nameOf(s.agentId) + ': only they can reply.' : 'No agent assigned.';
    setText('conv-banner', text);
    show('conv-banner', !!text);
    $('conv-banner').setAttribute('data-kind', ended ? 'ended' : 'info');
    const handover = s.transfer && s.transfer.note && !ended ? s.transfer : null;
    setText('conv-transfer', handover ? 'Note from ' + nameOf(handover.fromAgentId) + ' on transfer: ' + handover.note : '');
    show('conv-transfer', !!handover);
    const may = mayTransfer(s);
    show('transfer-toggle', may);
    if (!may) closeTransfer(false);
    updateComposer();
  }
  function canReply() {
    const s = state.conv && state.conv.session;
    return !!(s && s.status === 'ACTIVE' && s.agentId === state.me.uid);
  }
  /** Notes: any agent, in any chat on screen, open or ended (docs/protocol.md "Internal notes"). */
  function noteMode() {
    return $('note-toggle').checked;
  }
  function updateComposer() {
    const note = noteMode();
    const ok = note ? !!state.conv : canReply();
    $('note-toggle').disabled = !state.conv;
    $('composer').setAttribute('data-mode', note ? 'note' : 'reply');
    setText('composer-label', note ? 'Internal note for agents (the customer never sees it)' : 'Reply to the customer');
    $('composer-input').placeholder = note ? 'Write an internal note for agents…  (Enter to add it)' : 'Write a reply…  (Enter to send, Shift+Enter for a new line, / for canned replies)';
    setText('composer-help', note ? 'Enter adds the note, Shift and Enter adds a new line.' : 'Enter sends, Shift and Enter adds a new line. Type / at the start for canned replies: arrows choose, Enter inserts, Escape closes.');
    setText('send', note ? 'Add note' : 'Send');
    $('composer-input').disabled = !ok;
    $('send').disabled = !ok || !!(state.conv && state.conv.sending);
    if (!ok || note) stopTyping();
  }
  function focusComposer() {
    if (!$('composer-input').disabled) $('composer-input').focus();
  }
  function onHistory(data) {
    const conv = state.conv;
    if (!data || !conv || data.sessionId !== conv.id) return; // other joined chats: only unread counts
    (data.messages || []).forEach(upsertMessage);
    (data.notes || []).forEach(upsertNote);
    applySession(data.session);
    scrollToEnd(true);
    markRead();
    if (!conv.focused) {
      conv.focused = true;
      focusComposer();
    }
  }
  function onMessageNew(m) {
    if (!m || !m.sessionId) return;
    const conv = state.conv;
    if (conv && m.sessionId === conv.id) {
      const nearEnd = isNearEnd();
      // Past a hole in seq (a relay lost while Redis was down): join again from the hole; the
      // history brings what is missing (nothing, if the number was legitimately skipped).
      const hole = conv.maxSeq > 0 && m.seq > conv.maxSeq + 1 ? conv.maxSeq : null;
      upsertMessage(m);
      if (hole !== null) emitAck(state.chat, 'join:session', { sessionId: conv.id, afterSeq: hole });
      scrollToEnd(nearEnd || m.senderId === state.me.uid);
      return markRead();
    }
    if (m.senderType === 'USER' && state.myChats.some((s) => s.id === m.sessionId)) {
      state.unread.set(m.sessionId, (state.unread.get(m.sessionId) || 0) + 1);
      renderMyChats();
      notice('New message from ' + nameOf(m.senderId) + '.');
    }
  }
  function messageNode(m) {
    const mine = m.senderId === state.me.uid;
    const kind = { USER: 'customer', AI: 'assistant', AGENT: 'agent', SYSTEM: 'system' }[m.senderType] || 'system';
    const author = { USER: nameOf(m.senderId), AI: 'Assistant', SYSTEM: 'System' }[m.senderType] || (mine ? 'You' : nameOf(m.senderId));
    const node = el('li', {
      className: 'msg msg-' + kind + (mine ? ' msg-own' : ''), 'data-testid': 'console-message', 'data-sender-type': m.senderType,
      'data-seq': m.seq, 'data-message-id': m.id, 'data-read': mine ? String(!!m.isRead) : null,
    }, [
      el('div', { className: 'msg-meta' }, [
        el('span', { className: 'msg-author', text: author }),
        el('time', { className: 'msg-time', datetime: m.createdAt, text: formatTime(m.createdAt) }),
      ]),
      el('div', { className: 'msg-bubble' }, [el('p', { className: 'msg-text', 'data-testid': 'console-message-text', text: m.content })]),
      mine ? el('span', { className: 'msg-receipt', 'data-testid': 'console-receipt' }) : null,
    ]);
    updateReceipt(node, m);
    return node;
  }
  function updateReceipt(node, m) {
    if (!node || m.senderId !== state.me.uid) return;
    node.setAttribute('data-read', String(!!m.isRead));
    const receipt = node.querySelector('.msg-receipt');
    receipt.textContent = m.isRead ? '✓✓ Read' : '✓ Sent';
    receipt.setAttribute('title', m.isRead ? 'Read ' + formatTime(m.readAt) : 'Delivered, not read yet');
  }
  function messageElement(id) {
    return $('messages').querySelector('li[data-message-id="' + CSS.escape(id) + '"]');
  }
  /** Where a transcript entry goes: a message at [seq, 0], a note after its message at [afterSeq, noteSeq]. */
  function orderKey(node) {
    if (node.hasAttribute('data-seq')) return [Number(node.getAttribute('data-seq')), 0];
    if (node.hasAttribute('data-note-seq')) return [Number(node.getAttribute('data-after-seq')), Number(node.getAttribute('data-note-seq'))];
    return null; // anything else stays last
  }
  function insertOrdered(node) {
    const list = $('messages');
    const key = orderKey(node);
    const before = Array.from(list.children).find((c) => {
      const k = orderKey(c);
      return !k || k[0] > key[0] || (k[0] === key[0] && k[1] > key[1]);
    });
    list.insertBefore(node, before || null);
  }
  function noteNode(n) {
    const author = n.authorId === state.me.uid ? 'You' : nameOf(n.authorId);
    return el('li', {
      className: 'note', 'data-testid': 'console-note', 'data-note-id': n.id, 'data-note-seq': n.noteSeq, 'data-after-seq': n.afterSeq,
    }, [
      el('p', { className: 'note-meta' }, [
        el('span', { className: 'note-label', text: 'Internal note' }),
        el('span', { className: 'note-author', 'data-testid': 'console-note-author', text: author }),
        el('time', { className: 'msg-time', datetime: n.createdAt, text: formatTime(n.createdAt) }),
      ]),
      el('p', { className: 'note-text', 'data-testid': 'console-note-text', text: n.content }),
    ]);
  }
  /** Add an internal note after the message it follows, once per id (note:new, history, REST). */
  function upsertNote(n) {
    const conv = state.conv;
    if (!conv || !n || n.sessionId !== conv.id || !n.id || conv.notes.has(n.id)) return;
    rememberUser(n.author);
    conv.notes.set(n.id, n);
    conv.maxNoteSeq = Math.max(conv.maxNoteSeq, n.noteSeq || 0);
    const nearEnd = isNearEnd();
    insertOrdered(noteNode(n));
    scrollToEnd(nearEnd || n.authorId === state.me.uid);
  }
  /** Add a message in seq order, once per id (history and message:new may both bring it). */
  function upsertMessage(m) {
    const conv = state.conv;
    if (!conv || !m || m.sessionId !== conv.id || !m.id) return;
    const known = conv.messages.get(m.id);
    if (known) {
      if (m.isRead && !known.isRead) setRead(known, m.readAt);
      return;
    }
    conv.messages.set(m.id, Object.assign({}, m));
    conv.maxSeq = Math.max(conv.maxSeq, m.seq || 0);
    insertOrdered(messageNode(m));
    if (m.senderType === 'USER') hideRemoteTyping();
  }
  function setRead(m, readAt) {
    m.isRead = true;
    m.readAt = readAt || m.readAt;
    updateReceipt(messageElement(m.id), m);
  }
  function onMessageRead(d) {
    const conv = state.conv;
    if (!d || !conv || d.sessionId !== conv.id || d.readerId === state.me.uid) return;
    (d.messageIds || []).forEach((id) => {
      const m = conv.messages.get(id);
      if (m && !m.isRead) setRead(m, d.readAt);
    });
  }
  /** Read receipts for the customer's messages while this conversation is on screen. */
  function markRead() {
    const conv = state.conv;
    if (!conv || !state.chat || !state.chat.connected || document.visibilityState !== 'visible') return;
    if (!conv.session || conv.session.agentId !== state.me.uid) return; // only the assigned agent's reads count
    let upTo = 0;
    conv.messages.forEach((m) => { if (m.senderType === 'USER' && !m.isRead && m.seq > upTo) upTo = m.seq; });
    if (!upTo || upTo <= conv.readSent) return;
    conv.readSent = upTo;
    emitAck(state.chat, 'message:read', { sessionId: conv.id, upToSeq: upTo }).then((ack) => {
      if (!ack.ok) conv.readSent = 0;
      else (ack.messageIds || []).forEach((id) => { const m = conv.messages.get(id); if (m) m.isRead = true; });
    });
  }
  function onTyping(d, on) {
    const conv = state.conv;
    if (!d || !conv || d.sessionId !== conv.id || d.userId === state.me.uid) return;
    if (!on) return hideRemoteTyping();
    setText('typing', nameOf(d.userId) + (d.role && d.role !== 'user' ? ' (' + d.role + ')' : '') + ' is typing…');
    $('typing').setAttribute('data-user-id', d.userId);
    show('typing', true);
    clearTimeout(conv.remoteTyping);
    conv.remoteTyping = setTimeout(hideRemoteTyping, REMOTE_TYPING_MAX_MS);
  }
  function hideRemoteTyping() {
    if (state.conv) clearTimeout(state.conv.remoteTyping);
    show('typing', false);
    setText('typing', '');
  }
  function onSessionUpdated(d) {
    const s = d && d.session;
    if (!s) return;
    if (state.conv && state.conv.id === s.id) {
      applySession(s);
      loadDetail(s.id); // escalation and tickets may have changed
    }
    debounce('mychats', loadMyChats, 250);
  }

  // ---- transfer -------------------------------------------------------------------------------
  /** Its agent (or an admin) may hand an open chat that has an agent to someone else. */
  function mayTransfer(s) {
    return !!(s && s.agentId && s.status !== 'ENDED' && (s.agentId === state.me.uid || state.me.role === 'admin'));
  }
  function handedToMe(s) {
    return !!(s && s.transfer && s.transfer.toAgentId === state.me.uid);
  }
  function renderTransferTargets() {
    const select = $('transfer-target');
    const s = state.conv && state.conv.session;
    const keep = select.value;
    clear(select);
    select.appendChild(el('option', { value: '', text: 'Back to the queue' }));
    state.agentsOnline.forEach((a) => {
      if (a.id === state.me.uid || (s && a.id === s.agentId)) return;
      select.appendChild(el('option', { value: a.id, text: (a.displayName || a.id) + (a.role === 'admin' ? ' (admin)' : '') }));
    });
    if ([].some.call(select.options, (o) => o.value === keep)) select.value = keep;
  }
  function openTransfer() {
    renderTransferTargets();
    show('transfer-form', true);
    $('transfer-toggle').setAttribute('aria-expanded', 'true');
    $('transfer-target').focus();
  }
  function closeTransfer(refocus) {
    show('transfer-form', false);
    $('transfer-toggle').setAttribute('aria-expanded', 'false');
    $('transfer-note').value = '';
    if (refocus && !$('transfer-toggle').hidden) $('transfer-toggle').focus();
  }
  const TRANSFER_ERRORS = {
    agent_offline: 'That agent has gone offline: pick someone else.', agent_not_found: 'That agent no longer exists.',
    forbidden: 'Only the chat\'s agent or an admin may transfer it.', not_assigned: 'Nobody has this chat any more.',
    session_ended: 'This chat has ended.', already_assigned: 'That agent already has this chat.',
  };
  async function submitTransfer() {
    const conv = state.conv;
    if (!conv) return;
    const agentId = $('transfer-target').value;
    const note = $('transfer-note').value.trim();
    const body = {};
    if (agentId) body.agentId = agentId;
    if (note) body.note = note;
    $('transfer-submit').disabled = true;
    stopTyping();
    try {
      const session = await api('POST', API + '/sessions/' + encodeURIComponent(conv.id) + '/transfer', body);
      closeTransfer(false);
      notice(agentId ? 'Chat transferred to ' + nameOf(agentId) + '.' : 'Chat sent back to the queue.');
      applySession(session);
      showConvError('');
    } catch (err) {
      if (silent(err)) return;
      showConvError('Could not transfer: ' + (TRANSFER_ERRORS[err.code] || errorText(err)) + (err.code ? ' (' + err.code + ')' : ''));
      requestQueue();
    } finally {
      $('transfer-submit').disabled = false;
    }
    debounce('mychats', loadMyChats, 50);
  }
  /** /support: a chat was handed over; the one who receives it is told, with the note. */
  function onTransferred(d) {
    const t = d && d.transfer;
    if (!t || !d.session) return;
    if (t.toAgentId === state.me.uid) {
      notice(nameOf(t.fromAgentId) + ' transferred a chat to you' + (t.note ? ': ' + t.note : '.'));
    }
    if (state.conv && state.conv.id === d.session.id) applySession(d.session);
    debounce('mychats', loadMyChats, 250);
  }

  // ---- composer -------------------------------------------------------------------------------
  function onComposerInput() {
    const conv = state.conv;
    if (!conv || noteMode() || !canReply() || !state.chat) return; // a note is never "typing" to the customer
    if (!$('composer-input').value.trim()) return stopTyping();
    const now = Date.now();
    if (!conv.typing || now - conv.typingSentAt > TYPING_REPEAT_MS) {
      conv.typing = true;
      conv.typingSentAt = now;
      state.chat.emit('typing:start', { sessionId: conv.id });
    }
    debounce('typingIdle', stopTyping, TYPING_IDLE_MS);
  }
  function stopTyping() {
    clearTimeout(state.timers.typingIdle);
    const conv = state.conv;
    if (!conv || !conv.typing) return;
    conv.typing = false;
    if (state.chat) state.chat.emit('typing:stop', { sessionId: conv.id });
  }
  const SEND_ERRORS = {
    not_assigned: 'You are not assigned to this chat: assign it to yourself to reply.', forbidden: 'You may not write in this chat.',
    session_ended: 'This chat has ended; the message was not sent.', validation_error: 'The message was not accepted.',
  };
  /** Sends the composer's text: a reply to the customer, or in note mode an internal note for
   * agents only (the same event with `internal: true`: docs/protocol.md). */
  async function send() {
    const conv = state.conv;
    const input = $('composer-input');
    if (!conv || conv.sending) return;
    const note = noteMode();
    if (!note && !canReply()) return showConvError('You can reply only in an active chat assigned to you.');
    const content = input.value.trim();
    if (!content) return;
    if (content.length > 4000) return showConvError('A ' + (note ? 'note' : 'message') + ' can be at most 4000 characters.');
    // Sending the same text again reuses its clientMessageId, so a lost ack never stores it twice.
    const clientMessageId = conv.pending && conv.pending.content === content ? conv.pending.id : newId();
    conv.pending = { content: content, id: clientMessageId };
    conv.sending = true;
    updateComposer();
    const payload = { sessionId: conv.id, content: content, clientMessageId: clientMessageId };
    if (note) payload.internal = true;
    else stopTyping();
    const ack = await emitAck(state.chat, 'message:send', payload);
    conv.sending = false;
    if (state.conv !== conv) return;
    if (ack.ok) {
      conv.pending = null;
      if (input.value.trim() === content) input.value = '';
      showConvError('');
      if (note) upsertNote(ack.note);
      else {
        upsertMessage(ack.message);
        scrollToEnd(true);
      }
    } else {
      const e = ack.error || {};
      const text = note ? e.message || 'The note was not added.' : SEND_ERRORS[e.code] || e.message || 'The message was not sent.';
      showConvError(text + (e.code ? ' (' + e.code + ')' : ''));
      if (!note && (e.code === 'session_ended' || e.code === 'not_assigned')) loadDetail(conv.id);
    }
    updateComposer();
    focusComposer();
  }
  /** "End chat" opens the outcome form; the form's submit ends the chat. */
  function showEndForm(visible) {
    show('end-form', visible);
    $('end-chat').setAttribute('aria-expanded', visible ? 'true' : 'false');
    if (visible) {
      $('end-form').reset();
      document.querySelector('#end-form input[value="resolved"]').focus();
    }
  }
  async function endChat() {
    const conv = state.conv;
    if (!conv) return;
    const form = $('end-form');
    const body = { outcome: form.elements.outcome.value || 'resolved' };
    const note = $('end-note').value.trim();
    if (note) body.note = note;
    $('end-chat').disabled = true;
    $('end-confirm').disabled = true;
    stopTyping();
    try {
      const ended = await api('POST', API + '/sessions/' + encodeURIComponent(conv.id) + '/end', body);
      showEndForm(false);
      applySession(ended);
      notice(body.outcome === 'follow_up' ? 'Chat ended: its tickets are kept for your follow-up.' : 'Chat ended as resolved.');
      if (state.conv === conv) loadDetail(conv.id); // the tickets changed
      $('end-chat').focus();
    } catch (err) {
      if (silent(err)) return;
      notice('Could not end the chat: ' + errorText(err), 'error');
      if (state.conv === conv) loadDetail(conv.id); // e.g. 409: it had already ended
      $('end-chat').disabled = false;
    } finally {
      $('end-confirm').disabled = false;
    }
    debounce('mychats', loadMyChats, 50);
  }
  const OUTCOMES = { resolved: 'resolved', follow_up: 'follow-up needed' };
  function showConvError(text) {
    setText('conv-error', text);
    show('conv-error', !!text);
  }
  function isNearEnd() {
    const list = $('messages');
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }
  function scrollToEnd(force) {
    if (force) $('messages').scrollTop = $('messages').scrollHeight;
  }

  // ---- canned replies ---------------------------------------------------------------------------
  // "/" at the start of the reply opens a listbox of replies (the composer is its combobox,
  // ARIA 1.2); choosing one puts its text, filled in for this chat by the server, in the reply
  // box to edit: nothing is sent until the agent sends it.
  const CANNED = '/api/support/canned-responses';
  const CANNED_QUERY = /^\/([^\n]{0,80})$/;
  function cannedQuery() {
    const m = CANNED_QUERY.exec($('composer-input').value);
    return m ? m[1].trim() : null;
  }
  function onCannedInput() {
    const c = state.canned;
    const value = $('composer-input').value;
    if (c.dismissed !== null && value === c.dismissed) return; // closed with Escape: stay closed
    c.dismissed = null;
    const q = cannedQuery();
    if (q === null || noteMode() || !canReply()) return closeCanned(); // not in an internal note
    debounce('canned', () => searchCanned(q), 120);
  }
  async function searchCanned(q) {
    const c = state.canned;
    const seq = ++c.seq;
    let page;
    try {
      page = await api('GET', CANNED + '?' + new URLSearchParams({ q: q, pageSize: '20' }).toString());
    } catch (err) {
      if (!silent(err) && seq === c.seq) setText('canned-status', 'Canned replies could not be loaded: ' + errorText(err));
      return;
    }
    if (seq !== c.seq || cannedQuery() === null) return; // a later search, or the slash is gone
    c.items = (page && page.items) || [];
    c.active = c.items.length ? 0 : -1;
    renderCannedOptions();
  }
  function renderCannedOptions() {
    const c = state.canned;
    const list = clear($('canned-listbox'));
    c.items.forEach((r, i) => list.appendChild(el('li', {
      id: 'canned-option-' + i, role: 'option', className: 'canned-option', 'aria-selected': 'false',
      'data-testid': 'console-canned-option', 'data-shortcut': r.shortcut, 'data-canned-id': r.id,
      // mousedown would move focus out of the reply box (and close the list) before the click.
      on: { mousedown: (e) => e.preventDefault(), click: () => chooseCanned(i) },
    }, [
      el('span', { className: 'canned-option-head' }, [
        el('span', { className: 'canned-option-shortcut', text: '/' + r.shortcut }),
        el('span', { className: 'canned-option-title', text: r.title }),
        r.scope === 'team' ? el('span', { className: 'tag', text: 'team' }) : null,
      ]),
      el('span', { className: 'canned-option-body', text: r.body }),
    ])));
    c.open = c.items.length > 0;
    list.hidden = !c.open;
    $('composer-input').setAttribute('aria-expanded', String(c.open));
    const n = c.items.length;
    setText('canned-status', n ? n + (n === 1 ? ' canned reply' : ' canned replies') + ': arrow keys to choose, Enter to insert, Escape to close.' : 'No canned replies match.');
    updateCannedActive();
  }
  function updateCannedActive() {
    const c = state.canned;
    const input = $('composer-input');
    Array.from($('canned-listbox').children).forEach((node, i) => node.setAttribute('aria-selected', String(i === c.active)));
    const active = c.open && c.active >= 0 ? $('canned-option-' + c.active) : null;
    if (active) {
      input.setAttribute('aria-activedescendant', active.id);
      active.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }
  function closeCanned() {
    const c = state.canned;
    clearTimeout(state.timers.canned);
    c.seq += 1; // a search still on its way is dropped
    c.open = false;
    c.items = [];
    c.active = -1;
    const list = $('canned-listbox');
    clear(list).hidden = true;
    $('composer-input').setAttribute('aria-expanded', 'false');
    $('composer-input').removeAttribute('aria-activedescendant');
  }
  /** Arrows move through the replies, Enter inserts one, Escape closes the list; true if handled. */
  function cannedKeydown(e) {
    const c = state.canned;
    if (!c.open || e.isComposing) return false;
    const n = c.items.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      c.active = (c.active + (e.key === 'ArrowDown' ? 1 : -1) + n) % n;
      updateCannedActive();
      return true;
    }
    if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      c.active = e.key === 'Home' ? 0 : n - 1;
      updateCannedActive();
      return true;
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      chooseCanned(c.active);
      return true;
    }
    if (e.key === 'Escape') {
      e.preventDefault();
      c.dismissed = $('composer-input').value;
      closeCanned();
      setText('canned-status', 'Canned replies closed.');
      return true;
    }
    if (e.key === 'Tab') closeCanned();
    return false;
  }
  async function chooseCanned(i) {
    const reply = state.canned.items[i];
    const conv = state.conv;
    if (!reply || !conv) return;
    closeCanned();
    let out;
    try {
      out = await api('POST', CANNED + '/' + encodeURIComponent(reply.id) + '/render', { sessionId: conv.id });
    } catch (err) {
      if (!silent(err)) showConvError('Could not insert the canned reply: ' + errorText(err));
      return;
    }
    if (state.conv !== conv) return;
    const input = $('composer-input');
    input.value = out.text; // no input event: the list stays closed
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    setText('canned-status', 'Inserted /' + reply.shortcut + ': edit it, then press Enter to send.');
    onComposerInput(); // the customer sees the agent typing
  }

  // The management panel: your own replies, and (admins) the team's.
  function showCannedPanel(open, refocus) {
    show('canned-panel', open);
    $('canned-toggle').setAttribute('aria-expanded', String(open));
    if (open) {
      resetCannedForm();
      loadCannedManage();
      $('canned-shortcut').focus();
    } else if (refocus) {
      $('canned-toggle').focus();
    }
  }
  async function loadCannedManage() {
    const admin = state.me && state.me.role === 'admin';
    const scopes = admin ? ['personal', 'team'] : ['personal'];
    let pages;
    try {
      pages = await Promise.all(scopes.map((scope) => api('GET', CANNED + '?' + new URLSearchParams({ scope: scope, pageSize: '100' }).toString())));
    } catch (err) {
      if (!silent(err)) showCannedFormError('Could not load the canned replies: ' + errorText(err));
      return;
    }
    const items = [].concat.apply([], pages.map((p) => (p && p.items) || []));
    const list = clear($('canned-manage-list'));
    items.forEach((r) => {
      const titleId = 'canned-item-title-' + r.id;
      list.appendChild(el('li', { className: 'canned-item', 'data-testid': 'console-canned-item', 'data-shortcut': r.shortcut, 'data-scope': r.scope }, [
        el('div', { className: 'canned-item-head' }, [
          el('code', { text: '/' + r.shortcut }),
          el('strong', { id: titleId, text: r.title }),
          el('span', { className: 'tag', text: r.scope === 'team' ? 'team' : 'personal' }),
        ]),
        el('p', { className: 'canned-item-body', text: r.body }),
        el('div', { className: 'canned-item-actions' }, [
          el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'data-testid': 'console-canned-edit', 'aria-describedby': titleId, on: { click: () => editCanned(r) } }, ['Edit']),
          el('button', { type: 'button', className: 'btn btn-danger btn-small', 'data-testid': 'console-canned-delete', 'aria-describedby': titleId, on: { click: (e) => deleteCanned(r, e.currentTarget) } }, ['Delete']),
        ]),
      ]));
    });
    show('canned-manage-empty', items.length === 0);
  }
  const CANNED_FIELDS = ['shortcut', 'title', 'body'];
  function resetCannedForm() {
    state.cannedEditing = null;
    $('canned-form').reset();
    clearCannedErrors();
    setText('canned-form-title', 'New reply');
    show('canned-scope-field', !!(state.me && state.me.role === 'admin'));
    show('canned-cancel', false);
  }
  function editCanned(reply) {
    resetCannedForm();
    state.cannedEditing = reply;
    setText('canned-form-title', 'Edit /' + reply.shortcut + (reply.scope === 'team' ? ' (team)' : ''));
    show('canned-scope-field', false); // a reply keeps its scope
    CANNED_FIELDS.forEach((f) => { $('canned-' + f).value = reply[f]; });
    show('canned-cancel', true);
    $('canned-shortcut').focus();
  }
  function clearCannedErrors() {
    showCannedFormError('');
    CANNED_FIELDS.forEach((f) => {
      setText('canned-' + f + '-error', '');
      show('canned-' + f + '-error', false);
      $('canned-' + f).removeAttribute('aria-invalid');
    });
  }
  function showCannedFormError(text) {
    setText('canned-form-error', text);
    show('canned-form-error', !!text);
  }
  const CANNED_ERRORS = {
    duplicate_shortcut: { shortcut: 'This shortcut is already taken: choose another.' },
    forbidden: null, canned_response_not_found: null,
  };
  /** Each refused field gets its message beside it (and aria-invalid); the first is focused. */
  function showCannedErrors(err) {
    const details = err.details && typeof err.details === 'object' ? err.details : {};
    const fields = Object.assign({}, CANNED_ERRORS[err.code] || {});
    CANNED_FIELDS.forEach((f) => {
      if (Array.isArray(details[f]) && details[f].length) fields[f] = details[f].join(' ');
    });
    const bad = CANNED_FIELDS.filter((f) => fields[f]);
    bad.forEach((f) => {
      setText('canned-' + f + '-error', fields[f]);
      show('canned-' + f + '-error', true);
      $('canned-' + f).setAttribute('aria-invalid', 'true');
    });
    showCannedFormError('The reply was not saved: ' + (bad.length ? 'check the ' + bad.join(', ') + '.' : errorText(err)));
    if (bad.length) $('canned-' + bad[0]).focus();
  }
  async function saveCanned() {
    const editing = state.cannedEditing;
    clearCannedErrors();
    const body = { shortcut: $('canned-shortcut').value.trim(), title: $('canned-title').value.trim(), body: $('canned-body').value };
    if (!editing && state.me.role === 'admin') body.scope = $('canned-scope').value;
    $('canned-save').disabled = true;
    try {
      if (editing) await api('PATCH', CANNED + '/' + encodeURIComponent(editing.id), body);
      else await api('POST', CANNED, body);
    } catch (err) {
      if (!silent(err)) showCannedErrors(err);
      return;
    } finally {
      $('canned-save').disabled = false;
    }
    notice((editing ? 'Saved' : 'Added') + ' the canned reply /' + body.shortcut + '.');
    resetCannedForm();
    loadCannedManage();
    $('canned-shortcut').focus();
  }
  async function deleteCanned(reply, button) {
    button.disabled = true;
    try {
      await api('DELETE', CANNED + '/' + encodeURIComponent(reply.id));
    } catch (err) {
      if (!silent(err)) showCannedFormError('Could not delete /' + reply.shortcut + ': ' + errorText(err));
      button.disabled = false;
      return;
    }
    notice('Deleted the canned reply /' + reply.shortcut + '.');
    if (state.cannedEditing && state.cannedEditing.id === reply.id) resetCannedForm();
    await loadCannedManage();
    $('canned-shortcut').focus();
  }

  // ---- customer sidebar -----------------------------------------------------------------------
  function kvRows(target, rows) {
    clear(target);
    rows.forEach(([key, value, testid]) => target.appendChild(el('div', { className: 'kv-row', 'data-key': key }, [
      el('dt', { text: humanise(key) }),
      el('dd', { 'data-testid': testid || null, text: displayValue(value) }),
    ])));
    return target;
  }
  function renderCustomer(detail) {
    const customer = detail.customer || {};
    const session = detail.session || {};
    const meta = session.metadata || {};
    show('customer-empty', false);
    show('customer-body', true);
    setText('customer-name', customer.displayName || customer.id || 'Customer');
    setText('customer-email', customer.email || 'No e-mail on file');
    setText('customer-id', customer.id || session.userId);
    const profile = customer.profile && typeof customer.profile === 'object' ? customer.profile : {};
    const keys = Object.keys(profile);
    kvRows($('customer-profile'), keys.length ? keys.map((k) => [k, profile[k], 'console-profile-value']) : [['profile', 'No profile data']]);
    const a = meta.analysis;
    if (a && typeof a === 'object') {
      const sentiment = a.sentiment || {};
      const score = typeof sentiment.score === 'number' ? (sentiment.score >= 0 ? '+' : '') + sentiment.score.toFixed(2) : '';
      clear($('analysis')).appendChild(kvRows(el('dl', { className: 'kv' }), [
        ['intent', a.intent ? humanise(a.intent) : null, 'console-analysis-intent'],
        ['sentiment', [sentiment.label, score].filter(Boolean).join(' ') || null, 'console-analysis-sentiment'],
        ['complexity', a.complexity],
        ['language', a.language],
        ['priorityKeywords', a.priorityKeywords && a.priorityKeywords.length ? a.priorityKeywords : null],
        // Which analysis the escalation rules read: the sidebar shows that one, never another.
        ['analysedBy', a.analysedBy === 'local' ? 'local analysers' : a.analysedBy, 'console-analysis-source'],
      ]));
    } else {
      clear($('analysis')).appendChild(el('p', { className: 'empty', text: 'No analysis yet.' }));
    }
    const esc = meta.escalation && typeof meta.escalation === 'object' ? escalationOf(session) : null;
    const box = clear($('escalation'));
    if (esc) {
      box.appendChild(el('div', { className: 'esc-head' }, [
        priorityBadge(esc.priority),
        el('span', { className: 'esc-reason', 'data-testid': 'console-escalation-reason', text: reasonText(esc) || 'Escalated' }),
      ]));
      box.appendChild(kvRows(el('dl', { className: 'kv' }), [
        ['rule', esc.rule ? humanise(esc.rule) : null, 'console-escalation-rule'],
        ['escalated', formatTime(esc.at)],
        ['by', esc.by === 'AI_ASSISTANT' ? 'Assistant' : esc.by],
      ]));
      if (esc.summary) box.appendChild(el('p', { className: 'esc-summary', 'data-testid': 'console-escalation-summary', text: esc.summary }));
    } else {
      box.appendChild(el('p', { className: 'empty', text: 'Not escalated.' }));
    }
    const list = clear($('tickets'));
    const tickets = detail.tickets || [];
    if (!tickets.length) list.appendChild(el('li', { className: 'empty', text: 'No tickets.' }));
    tickets.forEach((t) => list.appendChild(el('li', { className: 'ticket', 'data-testid': 'console-ticket', 'data-ticket-id': t.id, 'data-status': t.status }, [
      el('p', { className: 'ticket-subject', text: t.subject || '(no subject)' }),
      el('div', { className: 'ticket-meta' }, [
        el('span', { className: 'badge status-' + String(t.status || '').toLowerCase().replace(/_/g, '-'), 'data-testid': 'console-ticket-status', text: humanise(t.status) }),
        priorityBadge(t.priority),
        t.sessionId === session.id ? el('span', { className: 'tag', text: 'this chat' }) : null,
        el('time', { className: 'ticket-time', datetime: t.createdAt, text: formatTime(t.createdAt) }),
      ]),
      el('div', { className: 'ticket-controls' }, [
        ticketSelect(t, 'status', 'Status', TICKET_STATUSES),
        ticketSelect(t, 'priority', 'Priority', TICKET_PRIORITIES),
      ]),
    ])));
    renderCustomerHistory(detail);
  }
  const TICKET_STATUSES = ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'];
  const TICKET_PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'];
  /** A labelled select changing one field of a ticket (PATCH); a CLOSED ticket is final. */
  function ticketSelect(t, field, label, values) {
    const id = 'ticket-' + field + '-' + t.id;
    const select = el('select', {
      id: id, className: 'input ticket-select', 'data-testid': 'console-ticket-' + field + '-select', disabled: t.status === 'CLOSED',
      on: { change: () => updateTicket(t, field, select) },
    }, values.map((v) => el('option', { value: v, selected: v === t[field], text: humanise(v) })));
    select.value = t[field];
    return el('span', {}, [el('label', { for: id, className: 'visually-hidden', text: label + ' of ticket “' + (t.subject || t.id) + '”' }), select]);
  }
  async function updateTicket(t, field, select) {
    const conv = state.conv;
    select.disabled = true;
    try {
      await api('PATCH', '/api/support/tickets/' + encodeURIComponent(t.id), { [field]: select.value });
      notice('Ticket ' + field + ': ' + humanise(select.value) + '.');
    } catch (err) {
      if (silent(err)) return;
      notice('Could not change the ticket: ' + errorText(err), 'error');
    }
    if (conv && state.conv === conv) loadDetail(conv.id); // shows what the server now holds
  }

  // ---- notifications (issue 20) -----------------------------------------------------------------
  // A sound (Web Audio), a desktop notification (Notification API) and a count in the tab title
  // for four events, each switched per agent in settings kept on the server
  // (GET/PATCH /api/support/me/notification-settings; docs/protocol.md "Notifications").
  // Everything here keeps working without the Notification API, with the permission denied, or
  // without Web Audio: those channels are then simply skipped.
  const NOTIFY_URL = '/api/support/me/notification-settings';
  const NOTIFY_EVENTS = [
    { key: 'queuedChat', label: 'A new chat waits in the queue' },
    { key: 'newMessage', label: 'A customer writes in one of my chats' },
    { key: 'assigned', label: 'A chat is assigned or transferred to me' },
    { key: 'slaBreach', label: 'A waiting chat misses the response time (SLA)' },
  ];
  const NOTIFY_CHANNELS = [
    { key: 'sound', label: 'Sound' },
    { key: 'desktop', label: 'Desktop notification' },
    { key: 'title', label: 'Count in the tab title' },
  ];
  const NOTIFY_TONES = { queuedChat: [660, 880], newMessage: [880], assigned: [523, 784], slaBreach: [440, 330, 440] };
  const notify = {
    settings: null, // the server's answer: {muted, events: {event: {sound, desktop, title}}}
    seen: new Set(), // keys of what was announced this sign-in: never twice (reconnects, rejoins)
    queueIds: null, // ids in the last queue:updated (null: none yet, the first is the baseline)
    ownRequeued: new Set(), // chats I sent back to the queue myself: not "new" to me
    unseen: 0, // the tab title count
    audio: null,
  };
  function notifyEnabled(event, channel) {
    const s = notify.settings;
    if (!s || s.muted) return false;
    return !!(s.events && s.events[event] && s.events[event][channel]);
  }
  /** The agent is looking at the console right now. */
  function notifyLooking() {
    return document.visibilityState === 'visible' && document.hasFocus();
  }
  function notifyTitle() {
    document.title = (notify.unseen > 0 ? '(' + notify.unseen + ') ' : '') + TITLE;
  }
  function notifyClearUnseen() {
    if (!notify.unseen || !notifyLooking()) return;
    notify.unseen = 0;
    notifyTitle();
  }
  /** Browsers start audio only after a user gesture: the first click or key unlocks it. */
  function notifyUnlockAudio() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      if (!notify.audio) notify.audio = new Ctx();
      if (notify.audio.state === 'suspended') notify.audio.resume().catch(() => {});
    } catch (e) { notify.audio = null; }
  }
  function notifySound(event) {
    const ctx = notify.audio;
    if (!ctx || ctx.state !== 'running') return; // no gesture yet, or no Web Audio: silent
    try {
      let t = ctx.currentTime;
      (NOTIFY_TONES[event] || [880]).forEach((freq) => {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = 'sine';
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t);
        gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t);
        osc.stop(t + 0.18);
        t += 0.14;
      });
    } catch (e) { /* a sound is a nicety: never let it break the console */ }
  }
  function notifyDesktop(key, title, body, sessionId) {
    const N = window.Notification;
    if (typeof N !== 'function' || N.permission !== 'granted') return;
    try {
      // The same tag in two tabs of one agent: the system shows one notification, not two.
      const n = new N(title, { body: body, tag: 'livechat-' + key, lang: 'en' });
      n.onclick = () => {
        window.focus();
        if (sessionId && state.token) openChat(sessionId);
        n.close();
      };
    } catch (e) { /* e.g. Chrome on Android allows notifications from a service worker only */ }
  }
  // Two tabs of one agent get every event twice: the first tab to take an event's lock plays its
  // sound and holds the lock a while; the other finds it taken (Web Locks are one per origin,
  // across tabs). Without the API every tab plays.
  const SOUND_LOCK_MS = 10000;
  function notifySoundOnce(event, key) {
    const played = () => {
      notifySound(event);
      const log = $('notify-log');
      log.setAttribute('data-sounds', String(Number(log.getAttribute('data-sounds') || 0) + 1));
    };
    const locks = navigator.locks;
    if (!locks || !state.me) return played();
    locks.request('livechat-sound:' + state.me.uid + ':' + key, { ifAvailable: true }, (lock) => {
      if (!lock) return null; // another tab has played it
      played();
      return new Promise((resolve) => setTimeout(resolve, SOUND_LOCK_MS));
    }).catch(() => played());
  }
  /** Announce ``event`` once per ``key``, on each channel the agent left on. */
  function notifyFire(event, key, title, body, sessionId) {
    if (notify.seen.has(key)) return;
    notify.seen.add(key);
    if (notifyEnabled(event, 'sound')) notifySoundOnce(event, key);
    if (notifyEnabled(event, 'desktop')) notifyDesktop(key, title, body, sessionId);
    if (notifyEnabled(event, 'title') && !notifyLooking()) {
      notify.unseen += 1;
      notifyTitle();
    }
    const log = $('notify-log');
    log.setAttribute('data-count', String(Number(log.getAttribute('data-count') || 0) + 1));
    log.setAttribute('data-last', key);
  }
  function notifyOnQueue(data) {
    const waiting = data && Array.isArray(data.waiting) ? data.waiting : [];
    const before = notify.queueIds;
    notify.queueIds = new Set(waiting.map((item) => item.id));
    if (before === null) return; // the queue as it was at sign-in: nothing new yet
    waiting.forEach((item) => {
      if (before.has(item.id)) return;
      if (notify.ownRequeued.delete(item.id)) return;
      const who = (item.customer && item.customer.displayName) || nameOf(item.userId);
      notify.seen.delete('queued:' + item.id); // a chat back in the queue is news again
      notifyFire('queuedChat', 'queued:' + item.id, 'New chat waiting', who + (item.subject ? ': ' + item.subject : ''), item.id);
    });
  }
  function notifyOnMessage(m) {
    if (!m || m.senderType !== 'USER' || !m.id) return;
    if (!state.myChats.some((s) => s.id === m.sessionId)) return;
    if (state.conv && state.conv.id === m.sessionId && notifyLooking()) {
      notify.seen.add('message:' + m.id); // on screen, and looked at
      return;
    }
    notifyFire('newMessage', 'message:' + m.id, 'New message from ' + nameOf(m.senderId), String(m.content || '').slice(0, 140), m.sessionId);
  }
  function notifyOnAssigned(d) {
    const s = d && d.session;
    if (!s || d.agentId !== state.me.uid) return;
    debounce('mychats', loadMyChats, 250); // it is mine: list it and join its room
    if (d.by === state.me.uid) return; // my own doing
    const by = d.by === 'SYSTEM' ? 'Routing' : nameOf(d.by);
    notifyFire('assigned', 'assigned:' + s.id + ':' + (s.assignedAt || ''), 'Chat assigned to you', by + ' gave you a chat with ' + nameOf(s.userId) + '.', s.id);
  }
  function notifyOnTransferred(d) {
    const t = d && d.transfer;
    if (!t || !d.session) return;
    if (t.by === state.me.uid) {
      if (!t.toAgentId) notify.ownRequeued.add(d.session.id); // its queue:updated follows
      return;
    }
    if (t.toAgentId !== state.me.uid) return;
    notifyFire('assigned', 'transfer:' + d.session.id + ':' + (t.at || ''), 'Chat transferred to you',
      nameOf(t.fromAgentId) + ' transferred a chat to you' + (t.note ? ': ' + t.note : '.'), d.session.id);
  }
  function notifyOnSla(d) {
    if (!d || !d.sessionId) return;
    const item = state.queue.find((q) => q.id === d.sessionId);
    const who = item ? (item.customer && item.customer.displayName) || nameOf(item.userId) : 'A customer';
    notifyFire('slaBreach', 'sla:' + d.sessionId, 'Waiting too long', who + ' has waited ' + formatDuration(d.waitSeconds) + ' for an agent.', d.sessionId);
  }
  function notifyWire(support, chat) {
    support.on('queue:updated', notifyOnQueue);
    support.on('queue:sla_breached', notifyOnSla);
    support.on('session:assigned', notifyOnAssigned);
    support.on('session:transferred', notifyOnTransferred);
    support.on('notification:settings', notifyApply);
    chat.on('message:new', notifyOnMessage);
  }
  async function notifyStart() {
    try {
      notifyApply(await api('GET', NOTIFY_URL));
    } catch (err) {
      if (!silent(err)) notifyStatus('Could not load your notification settings: ' + errorText(err), true);
    }
  }
  function notifyStop() {
    Object.assign(notify, { settings: null, queueIds: null, unseen: 0 });
    notify.seen.clear();
    notify.ownRequeued.clear();
    notifyShowPanel(false, false);
    notifyStatus('', false);
    ['data-settings', 'data-last'].forEach((a) => $('notify-log').removeAttribute(a));
    $('notify-log').setAttribute('data-count', '0');
  }
  function notifyApply(settings) {
    if (!settings || !settings.events) return;
    notify.settings = settings;
    $('notify-log').setAttribute('data-settings', 'loaded');
    notifyRender();
  }
  function notifyStatus(text, error) {
    const node = $('notify-status');
    node.textContent = text;
    node.setAttribute('data-kind', error ? 'error' : 'info');
  }
  function notifyRender() {
    const s = notify.settings;
    const box = $('notify-events');
    clear(box);
    if (!s) return;
    $('notify-muted').checked = !!s.muted;
    NOTIFY_EVENTS.forEach((ev) => {
      const legendId = 'notify-ev-' + ev.key;
      box.appendChild(el('fieldset', { className: 'notify-event', 'data-testid': 'console-notify-event', 'data-event': ev.key }, [
        el('legend', { id: legendId, className: 'notify-event-title', text: ev.label }),
        el('div', { className: 'notify-channels' }, NOTIFY_CHANNELS.map((ch) => {
          const id = 'notify-' + ev.key + '-' + ch.key;
          return el('label', { className: 'notify-channel', for: id }, [
            el('input', {
              type: 'checkbox', id: id, 'data-testid': 'console-notify-' + ev.key + '-' + ch.key,
              checked: !!(s.events[ev.key] && s.events[ev.key][ch.key]),
              on: { change: (e) => notifySave({ events: { [ev.key]: { [ch.key]: e.target.checked } } }, e.target) },
            }),
            el('span', { text: ch.label }),
          ]);
        })),
      ]));
    });
    notifyRenderPermission();
  }
  async function notifySave(change, input) {
    const gen = state.gen;
    notifyStatus('Saving…', false);
    try {
      notifyApply(await api('PATCH', NOTIFY_URL, change));
      notifyStatus('Saved.', false);
    } catch (err) {
      if (silent(err) || gen !== state.gen) return;
      if (input) input.checked = !input.checked; // back to what the server has
      notifyStatus('Could not save: ' + errorText(err), true);
    }
    if (input && input.isConnected) input.focus();
    else if (input && input.id) { const again = $(input.id); if (again) again.focus(); }
  }
  function notifyRenderPermission() {
    const N = window.Notification;
    const button = $('notify-permission');
    let text;
    if (typeof N !== 'function') text = 'This browser cannot show desktop notifications; sounds and the title count still work.';
    else if (N.permission === 'granted') text = 'Desktop notifications are allowed in this browser.';
    else if (N.permission === 'denied') text = 'Desktop notifications are blocked for this site: allow them in the browser\'s site settings.';
    else text = 'Desktop notifications need your permission in this browser.';
    setText('notify-permission-text', text);
    button.hidden = !(typeof N === 'function' && N.permission === 'default');
  }
  /** Asked only from this button's click, never on load. */
  function notifyAskPermission() {
    const N = window.Notification;
    if (typeof N !== 'function' || typeof N.requestPermission !== 'function') return notifyRenderPermission();
    const done = () => {
      notifyRenderPermission();
      if (!$('notify-permission').hidden) $('notify-permission').focus();
      else $('notify-muted').focus();
    };
    try {
      const p = N.requestPermission(done); // older Safari: callback only
      if (p && typeof p.then === 'function') p.then(done, done);
    } catch (e) { done(); }
  }
  function notifyShowPanel(open, refocus) {
    show('notify-panel', open);
    $('notify-toggle').setAttribute('aria-expanded', String(open));
    if (open) {
      notifyRender();
      $('notify-muted').focus();
    } else if (refocus) {
      $('notify-toggle').focus();
    }
  }
  function notifyInit() {
    $('notify-toggle').addEventListener('click', () => notifyShowPanel($('notify-panel').hidden, true));
    $('notify-close').addEventListener('click', () => notifyShowPanel(false, true));
    $('notify-panel').addEventListener('keydown', (e) => { if (e.key === 'Escape') notifyShowPanel(false, true); });
    $('notify-muted').addEventListener('change', (e) => notifySave({ muted: e.target.checked }, e.target));
    $('notify-permission').addEventListener('click', notifyAskPermission);
    document.addEventListener('visibilitychange', notifyClearUnseen);
    window.addEventListener('focus', notifyClearUnseen);
    ['pointerdown', 'keydown'].forEach((type) => document.addEventListener(type, notifyUnlockAudio, { capture: true }));
  }

  // ---- team (admins) --------------------------------------------------------------------------
  // Who is an agent or an admin (docs/api.md "The team"): add someone by e-mail and show the
  // invitation to send them, change a member's role, remove them (their sockets end at once and
  // their open chats go back to the queue). The server decides; this only shows its answers.
  const TEAM = '/api/support/agents';
  const TEAM_ERRORS = {
    bad_email: 'That is not an e-mail address.', bad_role: 'Choose agent or admin.',
    bad_name: 'A name is 1 to 200 characters.',
    already_on_team: 'They are on the team with another role: change their role in the list instead.',
    cannot_remove_self: 'You cannot remove yourself.', cannot_change_own_role: 'You cannot change your own role.',
    last_admin: 'The team needs at least one admin.', agent_not_found: 'They are no longer on the team.',
  };
  function teamErrorText(err) {
    const text = TEAM_ERRORS[err.code];
    return text ? text + ' (' + err.code + ')' : errorText(err);
  }
  function showTeamPanel(open, refocus) {
    show('team-panel', open);
    $('team-toggle').setAttribute('aria-expanded', String(open));
    if (open) {
      resetTeamForm();
      showTeamError('');
      loadTeam();
      $('team-email').focus();
    } else if (refocus) {
      $('team-toggle').focus();
    }
  }
  function resetTeamForm() {
    $('team-form').reset();
    resetInviteAndErrors();
  }
  function showTeamFormError(text) {
    setText('team-form-error', text);
    show('team-form-error', !!text);
  }
  function showTeamError(text) {
    setText('team-error', text);
    show('team-error', !!text);
  }
  async function loadTeam(focusUid, focusTestid) {
    let data;
    try {
      data = await api('GET', TEAM);
    } catch (err) {
      if (!silent(err)) showTeamError('Could not load the team: ' + errorText(err));
      return;
    }
    renderTeam((data && data.items) || []);
    const row = focusUid && $('team-list').querySelector('li[data-uid="' + CSS.escape(focusUid) + '"]');
    const button = row && row.querySelector('[data-testid="' + focusTestid + '"]');
    if (button) button.focus();
  }
  function renderTeam(items) {
    const list = clear($('team-list'));
    items.forEach((m, i) => {
      const nameId = 'team-member-name-' + i;
      const you = !!(state.me && m.uid === state.me.uid);
      const other = m.role === 'admin' ? 'agent' : 'admin';
      const status = humanise(m.status) + (m.openChats ? ' · ' + m.openChats + ' open chat' + (m.openChats === 1 ? '' : 's') : '');
      list.appendChild(el('li', { className: 'canned-item', 'data-testid': 'console-team-member', 'data-uid': m.uid, 'data-role': m.role }, [
        el('div', { className: 'team-member-head' }, [
          el('strong', { id: nameId, text: (m.name || m.email || m.uid) + (you ? ' (you)' : '') }),
          el('span', { className: 'tag', 'data-testid': 'console-team-member-role', text: m.role }),
          el('span', { className: 'chip chip-muted', text: status }),
        ]),
        el('p', { className: 'team-member-detail', text: [m.email, m.uid].filter(Boolean).join(' · ') }),
        you ? null : el('div', { className: 'canned-item-actions' }, [
          el('button', {
            type: 'button', className: 'btn btn-secondary btn-small', 'data-testid': 'console-team-set-role',
            'aria-describedby': nameId, on: { click: () => setTeamRole(m, other) },
          }, ['Make ' + other]),
          el('button', {
            type: 'button', className: 'btn btn-danger btn-small', 'data-testid': 'console-team-remove',
            'aria-describedby': nameId, on: { click: (e) => removeTeamMember(m, e.currentTarget) },
          }, ['Remove']),
        ]),
      ]));
    });
  }
  function memberLabel(m) {
    return m.name || m.email || m.uid;
  }
  async function setTeamRole(member, role) {
    showTeamError('');
    try {
      await api('PATCH', TEAM + '/' + encodeURIComponent(member.uid), { role: role });
    } catch (err) {
      if (!silent(err)) showTeamError('The role was not changed: ' + teamErrorText(err));
      return;
    }
    setText('team-status', memberLabel(member) + ' is now ' + role + ': they sign in again.');
    loadTeam(member.uid, 'console-team-set-role');
  }
  /** Two steps: the first press asks (the button says so), the second removes. */
  async function removeTeamMember(member, button) {
    showTeamError('');
    if (button.getAttribute('data-confirm') !== '1') {
      button.setAttribute('data-confirm', '1');
      button.textContent = 'Confirm removal';
      setText('team-status', 'Press again to remove ' + memberLabel(member) + ': their open chats go back to the queue.');
      return;
    }
    let out;
    try {
      out = await api('DELETE', TEAM + '/' + encodeURIComponent(member.uid));
    } catch (err) {
      if (!silent(err)) showTeamError(memberLabel(member) + ' was not removed: ' + teamErrorText(err));
      return;
    }
    const n = (out && out.releasedSessionIds && out.releasedSessionIds.length) || 0;
    setText('team-status', 'Removed ' + memberLabel(member) + (n ? '; ' + n + ' open chat' + (n === 1 ? '' : 's') + ' back in the queue.' : '.'));
    $('team-list-title').focus();
    loadTeam();
  }
  async function addTeamMember() {
    resetInviteAndErrors();
    const email = $('team-email').value.trim();
    const body = { email: email, role: $('team-role').value };
    const name = $('team-name').value.trim();
    if (name) body.name = name;
    let out;
    try {
      out = await api('POST', TEAM, body);
    } catch (err) {
      if (silent(err)) return;
      showTeamFormError('Not added: ' + teamErrorText(err));
      if (err.code === 'bad_email' || (err.details && err.details.email)) {
        $('team-email').setAttribute('aria-invalid', 'true');
        $('team-email').focus();
      }
      return;
    }
    const m = out.member;
    setText('team-status', out.added ? 'Added ' + m.email + ' as ' + m.role + '.' : m.email + ' is on the team already: a fresh invitation.');
    if (out.invitation) {
      setText('team-invite-label', (config.devMode ? 'Dev token to send ' : 'Invitation link to send ') + m.email +
        (config.devMode ? ' (they paste it to sign in)' : ' (they set their password there)'));
      $('team-invite-text').value = out.invitation;
      show('team-invite', true);
      $('team-invite-text').focus();
      $('team-invite-text').select();
    }
    $('team-email').value = '';
    $('team-name').value = '';
    loadTeam();
  }
  function resetInviteAndErrors() {
    showTeamFormError('');
    show('team-invite', false);
    $('team-email').removeAttribute('aria-invalid');
  }

  // ---- conversations view: history, search, the customer's previous chats (issue 20) ----------
  // Kept apart from the live queue code above: it only reads REST and opens chats with openChat.
  const HISTORY_PAGE_SIZE = 20;
  const history = { page: 1, query: null, seq: 0, cursors: {} };
  function showView(which) {
    const live = which !== 'history';
    $('view-live').setAttribute('aria-pressed', String(live));
    $('view-history').setAttribute('aria-pressed', String(!live));
    show('live-col', live);
    show('history', !live);
    if (!live) {
      loadHistory(1);
      $('history-q').focus();
    }
  }
  function dayStart(value, addDays) {
    const d = new Date(value + 'T00:00:00Z');
    if (isNaN(d.getTime())) return null;
    d.setUTCDate(d.getUTCDate() + (addDays || 0));
    return d.toISOString();
  }
  /** The form as query parameters; "To" is inclusive (the API's "to" is the next day's start). */
  function historyParams() {
    const params = new URLSearchParams();
    const put = (key, id) => { const v = $(id).value.trim(); if (v) params.set(key, v); };
    put('q', 'history-q');
    put('status', 'history-status');
    put('priority', 'history-priority');
    put('rule', 'history-rule');
    put('agentId', 'history-agent');
    put('userId', 'history-customer');
    if ($('history-from').value) params.set('from', dayStart($('history-from').value, 0) || $('history-from').value);
    if ($('history-to').value) params.set('to', dayStart($('history-to').value, 1) || $('history-to').value);
    return params;
  }
  async function loadHistory(page) {
    const params = historyParams();
    const searching = params.has('q');
    // The list pages by the cursor each page gives (any depth; page numbers stop at the
    // server's cap); search by number.
    if (page === 1) history.cursors = {};
    const cursor = !searching && page > 1 ? history.cursors[page] : null;
    params.set(cursor ? 'cursor' : 'page', cursor || String(page));
    params.set('pageSize', String(HISTORY_PAGE_SIZE));
    const seq = ++history.seq;
    setText('history-summary', searching ? 'Searching…' : 'Loading…');
    show('history-error', false);
    let body;
    try {
      body = await api('GET', (searching ? '/api/support/search' : API + '/sessions') + '?' + params.toString());
    } catch (err) {
      if (seq !== history.seq || silent(err)) return;
      setText('history-summary', '');
      setText('history-error', historyError(err));
      show('history-error', true);
      return;
    }
    if (seq !== history.seq) return; // a later search answered first
    history.page = page;
    const items = body.items || [];
    // Past the server's cap the total is a lower bound (totalExact false): "10,000+".
    const capped = !searching && body.totalExact === false;
    if (!searching) history.cursors[page + 1] = body.nextCursor || null;
    const more = searching ? !!body.hasMore : !!body.nextCursor;
    const total = Number(body.total || 0).toLocaleString('en-US') + (capped ? '+' : '');
    const list = clear($('history-results'));
    items.forEach((item) => list.appendChild(searching ? hitItem(item) : conversationItem(item)));
    const what = searching ? (items.length === 1 ? 'match' : 'matches') : (items.length === 1 ? 'chat' : 'chats');
    setText('history-summary', items.length ? items.length + ' ' + what + ' on this page' + (searching ? '' : ' of ' + total) + ', newest first.' : 'Nothing found.');
    setText('history-page', 'Page ' + page);
    $('history-prev').disabled = page <= 1;
    $('history-next').disabled = !more;
  }
  function historyError(err) {
    const d = err && err.details && typeof err.details === 'object' ? err.details : {};
    const fields = Object.keys(d);
    if (fields.length) return 'Check ' + fields.join(', ') + ': ' + fields.map((k) => [].concat(d[k]).join(' ')).join(' ');
    return errorText(err);
  }
  function openButton(sessionId, label, testid) {
    return el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'data-testid': testid, 'data-session-id': sessionId, text: label, on: { click: () => openChat(sessionId) } });
  }
  function customerName(session) {
    const c = (session && session.customer) || {};
    rememberUser(c);
    return c.displayName || c.id || (session && session.userId) || 'Customer';
  }
  function conversationItem(s) {
    const esc = s.metadata && s.metadata.escalation;
    return el('li', { className: 'history-item', 'data-testid': 'console-history-item', 'data-session-id': s.id }, [
      el('div', { className: 'history-head' }, [
        el('span', { className: 'history-name', text: customerName(s) }),
        el('span', { className: 'badge status-' + String(s.status || '').toLowerCase(), text: humanise(s.status) }),
        esc && esc.priority ? priorityBadge(esc.priority) : null,
      ]),
      el('p', { className: 'help', text: ['Started ' + formatTime(s.createdAt), s.agentId ? 'Agent: ' + nameOf(s.agentId) : '', esc && esc.rule ? humanise(esc.rule) : ''].filter(Boolean).join(' · ') }),
      openButton(s.id, 'Open chat with ' + customerName(s), 'console-history-open'),
    ]);
  }
  /** A search hit: the content as text nodes, the matched words in <mark> (never markup). */
  function hitItem(h) {
    const s = h.session || {};
    const snippet = el('p', { className: 'history-snippet', 'data-testid': 'console-search-snippet' },
      (h.segments || []).map((seg) => (seg.match ? el('mark', { text: seg.text }) : seg.text)));
    return el('li', { className: 'history-item', 'data-testid': 'console-search-hit', 'data-kind': h.kind, 'data-session-id': h.sessionId }, [
      el('div', { className: 'history-head' }, [
        el('span', { className: 'history-name', text: customerName(s) }),
        el('span', { className: 'tag' + (h.kind === 'note' ? ' tag-note' : ''), text: h.kind === 'note' ? 'Internal note' : humanise(h.senderType) }),
        el('span', { className: 'badge status-' + String(s.status || '').toLowerCase(), text: humanise(s.status) }),
      ]),
      snippet,
      el('p', { className: 'help', text: formatTime(h.createdAt) }),
      openButton(h.sessionId, 'Open this chat', 'console-search-open'),
    ]);
  }
  /** The customer panel's history: their other chats, a way into each ticket's chat, and this
   * chat's audit entries (agents read one chat's; admins the whole trail). Called by renderCustomer. */
  async function renderCustomerHistory(detail) {
    const session = detail.session || {};
    const conv = state.conv;
    (detail.tickets || []).forEach((t) => {
      const item = document.querySelector('[data-testid="console-ticket"][data-ticket-id="' + CSS.escape(t.id) + '"]');
      if (item && t.sessionId && t.sessionId !== session.id) item.appendChild(openButton(t.sessionId, 'Open its chat', 'console-ticket-open'));
    });
    const list = clear($('customer-chats'));
    show('audit-card', true);
    let chats;
    let audit = null;
    try {
      const userId = encodeURIComponent(session.userId || '');
      chats = await api('GET', API + '/sessions?pageSize=20&userId=' + userId);
      audit = await api('GET', '/api/support/audit?pageSize=50&sessionId=' + encodeURIComponent(session.id));
    } catch (err) {
      if (!silent(err) && state.conv === conv) list.appendChild(el('li', { className: 'empty', text: 'Could not load the history: ' + errorText(err) }));
      return;
    }
    if (state.conv !== conv) return;
    const others = (chats.items || []).filter((s) => s.id !== session.id);
    if (!others.length) list.appendChild(el('li', { className: 'empty', text: 'No other chats.' }));
    others.forEach((s) => list.appendChild(el('li', { className: 'history-item', 'data-testid': 'console-customer-chat', 'data-session-id': s.id }, [
      el('div', { className: 'history-head' }, [
        el('span', { text: formatTime(s.createdAt) }),
        el('span', { className: 'badge status-' + String(s.status || '').toLowerCase(), text: humanise(s.status) }),
      ]),
      openButton(s.id, 'Open chat of ' + formatTime(s.createdAt), 'console-customer-chat-open'),
    ])));
    const trail = clear($('conv-audit'));
    if (audit) {
      const entries = (audit.items || []).slice().reverse();
      if (!entries.length) trail.appendChild(el('li', { className: 'empty', text: 'No entries.' }));
      entries.forEach((a) => trail.appendChild(el('li', { className: 'audit-entry', 'data-testid': 'console-audit-entry' }, [
        el('time', { datetime: a.at, text: formatTime(a.at) }), ' ', humanise(String(a.action || '').replace(/\./g, '_')), ' · ', nameOf(a.actorId),
      ])));
    }
  }
  function initHistory() {
    $('view-live').addEventListener('click', () => showView('live'));
    $('view-history').addEventListener('click', () => showView('history'));
    $('history-form').addEventListener('submit', (e) => {
      e.preventDefault();
      loadHistory(1);
    });
    $('history-prev').addEventListener('click', () => loadHistory(Math.max(1, history.page - 1)));
    $('history-next').addEventListener('click', () => loadHistory(history.page + 1));
  }

  // ---- notices and wiring ---------------------------------------------------------------------
  function notice(text, kind) {
    const node = $('notice');
    node.textContent = text;
    node.setAttribute('data-kind', kind || 'info');
    node.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    node.hidden = false;
    clearTimeout(state.noticeTimer);
    state.noticeTimer = setTimeout(() => { node.hidden = true; }, kind === 'error' ? 10000 : 5000);
  }
  function init() {
    $('signin-form').addEventListener('submit', (e) => {
      e.preventDefault();
      signIn($('token-input').value);
    });
    document.querySelectorAll('[data-testid="console-demo-agent"]').forEach((b) => b.addEventListener('click', () => demoSignIn(b)));
    $('signout').addEventListener('click', () => signOut(''));
    $('agent-status').addEventListener('change', changeMyStatus);
    $('end-chat').addEventListener('click', () => showEndForm($('end-form').hidden));
    $('end-form').addEventListener('submit', (e) => {
      e.preventDefault();
      endChat();
    });
    $('end-cancel').addEventListener('click', () => {
      showEndForm(false);
      $('end-chat').focus();
    });
    $('transfer-toggle').addEventListener('click', () => ($('transfer-form').hidden ? openTransfer() : closeTransfer(true)));
    $('transfer-cancel').addEventListener('click', () => closeTransfer(true));
    $('transfer-form').addEventListener('submit', (e) => {
      e.preventDefault();
      submitTransfer();
    });
    $('transfer-form').addEventListener('keydown', (e) => { if (e.key === 'Escape') closeTransfer(true); });
    $('composer').addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    const input = $('composer-input');
    input.addEventListener('keydown', (e) => {
      if (cannedKeydown(e)) return;
      if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return;
      e.preventDefault();
      send();
    });
    input.addEventListener('input', onComposerInput);
    $('note-toggle').addEventListener('change', () => {
      closeCanned(); // canned replies are for replies, not notes
      updateComposer();
      focusComposer();
    });
    input.addEventListener('input', onCannedInput);
    input.addEventListener('blur', () => {
      closeCanned();
      if (!input.value.trim()) stopTyping();
    });
    $('canned-toggle').addEventListener('click', () => showCannedPanel($('canned-panel').hidden, true));
    $('canned-close').addEventListener('click', () => showCannedPanel(false, true));
    $('canned-panel').addEventListener('keydown', (e) => { if (e.key === 'Escape') showCannedPanel(false, true); });
    $('canned-cancel').addEventListener('click', () => {
      resetCannedForm();
      $('canned-shortcut').focus();
    });
    $('canned-form').addEventListener('submit', (e) => {
      e.preventDefault();
      saveCanned();
    });
    notifyInit();
    $('team-toggle').addEventListener('click', () => showTeamPanel($('team-panel').hidden, true));
    $('team-close').addEventListener('click', () => showTeamPanel(false, true));
    $('team-panel').addEventListener('keydown', (e) => { if (e.key === 'Escape') showTeamPanel(false, true); });
    $('team-form').addEventListener('submit', (e) => {
      e.preventDefault();
      addTeamMember();
    });
    initHistory();
    document.addEventListener('visibilitychange', markRead);
    window.addEventListener('focus', markRead);
    window.addEventListener('online', updateStatus);
    window.addEventListener('offline', updateStatus);
    if (typeof window.io !== 'function') return showSigninError('The Socket.IO client did not load: the console cannot connect.');
    initFirebase();
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) signIn(saved);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
