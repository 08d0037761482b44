/*!
 * livechat widget: the embeddable customer chat (vanilla ES2019, no build step, no framework).
 *   <script src="https://chat.example.com/widget.js" defer></script>
 *   LiveChat.init({url: 'https://chat.example.com', getToken: () => user.getIdToken()})
 * Socket.IO contract: docs/protocol.md. Embedding, options, test hooks: docs/widget.md.
 * CSP-safe: no inline styles or event-handler attributes, no innerHTML; text goes in as textContent.
 */
(function (window, document) {
  'use strict';
  if (window.LiveChat && window.LiveChat.version) return; // loaded twice: keep the first

  var MAX_CHARS = 4000, MAX_ATTEMPTS = 3, ACK_TIMEOUT = 10000; // ms
  var TYPING_THROTTLE = 2000, TYPING_IDLE = 3000; // ms
  var PREFIX = 'livechat:', SVG = 'http://www.w3.org/2000/svg';
  var ICONS = {
    chat: 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zM6 9h12v2H6zm8 5H6v-2h8zm4-6H6V6h12z',
    down: 'M7.41 8.59 12 13.17l4.59-4.58L18 10l-6 6-6-6z',
    max: 'M7 14H5v5h5v-2H7v-3zm-2-4h2V7h3V5H5v5zm12 7h-3v2h5v-5h-2v3zM14 5v2h3v3h2V5h-5z',
    restore: 'M5 16h3v3h2v-5H5v2zm3-8H5v2h5V5H8v3zm6 11h2v-3h3v-2h-5v5zm2-11V5h-2v5h5V8h-3z',
    send: 'M2.01 21 23 12 2.01 3 2 10l15 2-15 2z',
    close: 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z'
  };

  // Every visible string; LiveChat.init({strings: {...}}) overrides any of them.
  var STRINGS = {
    title: 'Support', openChat: 'Open chat', closeChat: 'Minimize chat', unread: '{n} unread',
    minimize: 'Minimize', maximize: 'Maximize', restore: 'Restore size', messages: 'Messages',
    connected: 'Connected', connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Offline',
    welcome: 'Hi! Ask us anything. Our assistant answers right away, and a human agent can take over whenever you need one.',
    welcomeHuman: 'Hi! Ask us anything. A person from our team will answer you here.',
    human: 'Talk to a person', humanAsked: 'A person will take over; you are in the queue.',
    humanAlready: 'You are already in the queue for a person.',
    inputLabel: 'Your message', placeholder: 'Write a message…', send: 'Send',
    you: 'You', assistant: 'Assistant', agent: 'Support agent', notice: 'Notice',
    sending: 'Sending…', sent: 'Sent', read: 'Read', notSent: 'Not sent', retry: 'Retry',
    thinking: 'Assistant is thinking…', typing: '{name} is typing…',
    waiting: 'A human agent will join shortly', queue: ' — you are number {n} in the queue', wait: ' (about {m} min)',
    withAgent: 'You are chatting with {name}', ended: 'This chat has ended.', newChat: 'New conversation',
    past: 'Past conversations', back: 'Back', noPast: 'No past conversations yet.', current: 'open',
    earlier: 'Show earlier messages', dismiss: 'Dismiss', counter: '{n} / {max}',
    tooLong: 'Your message is too long ({n} / {max} characters).',
    newFrom: 'New message from {name}: {text}', failed: 'Your message was not sent.',
    errors: {
      session_ended: 'This chat has ended. Start a new conversation to continue.',
      session_not_found: 'This chat no longer exists. Send a message to start a new one.',
      forbidden: 'This chat is not available to you.',
      unauthorized: 'Your sign-in has expired. Please sign in again.',
      validation_error: 'The message could not be sent: {message}',
      message_too_long: 'Your message is too long: at most {limit} characters.',
      internal_error: 'Something went wrong on our side. Please try again.',
      timeout: 'The server did not answer in time. Please try again.',
      network: 'Support cannot be reached. Check your connection.',
      no_token: 'You need to be signed in to chat with us.',
      generic: 'Something went wrong. Please try again.'
    }
  };

  // ---- small helpers ------------------------------------------------------------------------

  function noop() {}
  function fmt(s, vars) {
    return String(s).replace(/\{(\w+)\}/g, function (_, k) { return vars && vars[k] != null ? String(vars[k]) : ''; });
  }
  /** A DOM element: attributes through setAttribute (never on* handlers), text through textContent. */
  function el(tag, cls, attrs, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === true) n.setAttribute(k, '');
      else if (v != null && v !== false) n.setAttribute(k, String(v));
    });
    if (text != null) n.textContent = text;
    return n;
  }
  function icon(name) {
    var svg = document.createElementNS(SVG, 'svg'), path = svg.appendChild(document.createElementNS(SVG, 'path'));
    [['viewBox', '0 0 24 24'], ['aria-hidden', 'true'], ['focusable', 'false'], ['class', 'lc-icon']]
      .forEach(function (a) { svg.setAttribute(a[0], a[1]); });
    path.setAttribute('d', ICONS[name]);
    return svg;
  }
  function setIcon(button, name) { button.replaceChild(icon(name), button.querySelector('svg')); }
  function show(node, on) { if (on) node.removeAttribute('hidden'); else node.setAttribute('hidden', ''); }
  function uuid() { // a random clientMessageId (randomUUID needs a secure context)
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }
  /** The uid in a JWT (Firebase and dev tokens: "sub"): to namespace local storage, never trusted. */
  function tokenUid(token) {
    try {
      var bin = atob(String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/'));
      var claims = JSON.parse(decodeURIComponent(Array.prototype.map.call(bin, function (ch) {
        return '%' + ('0' + ch.charCodeAt(0).toString(16)).slice(-2);
      }).join('')));
      return claims.sub || claims.user_id || null;
    } catch (e) { return null; }
  }
  function chars(s) { return Array.from(s).length; } // code points, like the server's len()
  var store = { // localStorage, key prefix "livechat:"; private mode or a full quota just means no memory
    get: function (k) { try { return JSON.parse(window.localStorage.getItem(PREFIX + k)); } catch (e) { return null; } },
    set: function (k, v) { try { window.localStorage.setItem(PREFIX + k, JSON.stringify(v)); } catch (e) { /* ignore */ } },
    del: function (k) { try { window.localStorage.removeItem(PREFIX + k); } catch (e) { /* ignore */ } }
  };

  // ---- safe markdown subset, built from DOM nodes -------------------------------------------

  var INLINE = '\\*\\*([^*\\n]+?)\\*\\*|\\*([^*\\s][^*\\n]*?)\\*|\\[([^\\]\\n]{1,300})\\]\\((https?:\\/\\/[^\\s)]+)\\)|(https?:\\/\\/[^\\s<>"]+)';

  function safeUrl(raw) { // only http(s) becomes a link
    try { var u = new URL(raw); return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null; } catch (e) { return null; }
  }
  function link(href, text) { return el('a', 'lc-link', { href: href, target: '_blank', rel: 'noopener noreferrer nofollow' }, text); }
  function inline(parent, text, depth) {
    var re = new RegExp(INLINE, 'gi');
    var last = 0, m;
    var txt = function (s) { if (s) parent.appendChild(document.createTextNode(s)); };
    while ((m = re.exec(text)) !== null) {
      txt(text.slice(last, m.index));
      last = re.lastIndex;
      if (m[1] != null || m[2] != null) { // **bold** / *italic*
        var inner = m[1] != null ? m[1] : m[2];
        var node = parent.appendChild(el(m[1] != null ? 'strong' : 'em'));
        if (depth < 2) inline(node, inner, depth + 1);
        else node.textContent = inner;
      } else if (m[3] != null) { // [text](http(s) url)
        if (safeUrl(m[4])) parent.appendChild(link(safeUrl(m[4]), m[3])); else txt(m[0]);
      } else { // a bare http(s) URL, without trailing punctuation
        var trail = (/[.,;:!?)\]}'*]+$/.exec(m[5]) || [''])[0], raw = m[5].slice(0, m[5].length - trail.length);
        if (safeUrl(raw)) parent.appendChild(link(safeUrl(raw), raw)); else txt(raw);
        txt(trail);
      }
    }
    txt(text.slice(last));
  }
  /** **bold**, *italic*, line breaks, "- " bullets, "#" headings (bold) and http(s) links; the rest is text. */
  function renderText(container, text) {
    var list = null, para = null;
    container.textContent = '';
    String(text == null ? '' : text).replace(/\r\n?/g, '\n').split('\n').forEach(function (line) {
      var bullet = /^\s*[-*•]\s+(.*)$/.exec(line), heading = /^#{1,6}\s+(.*)$/.exec(line);
      if (bullet) {
        if (!list) container.appendChild(list = el('ul'));
        inline(list.appendChild(el('li')), bullet[1], 0);
      } else if (heading) {
        inline(container.appendChild(el('p', 'lc-heading')).appendChild(el('strong')), heading[1], 1);
      } else if (line.trim()) { // consecutive lines: one paragraph with <br>; a blank line: a new one
        if (para) para.appendChild(el('br')); else container.appendChild(para = el('p'));
        inline(para, line, 0);
        list = null;
        return;
      }
      if (!bullet) list = null;
      para = null;
    });
  }

  // ---- the stylesheet and the Socket.IO client ----------------------------------------------

  function loadCss(href, done) {
    var existing = document.querySelector('link[data-livechat-css]');
    if (existing && existing.getAttribute('href') === href) { done(null); return null; }
    var l = el('link', null, { rel: 'stylesheet', href: href, 'data-livechat-css': '' });
    l.addEventListener('load', function () { done(null); });
    l.addEventListener('error', function () { done(new Error('livechat: could not load ' + href)); });
    return document.head.appendChild(l);
  }
  var ioPromise = null;
  /** window.io when it is a Socket.IO v3/v4 client (protocol 5), else the vendored one (the host's io is kept). */
  function loadIo(url) {
    if (window.io && window.io.protocol === 5) return Promise.resolve(window.io);
    ioPromise = ioPromise || new Promise(function (resolve, reject) {
      var previous = window.io;
      var s = el('script', null, { src: url + '/static/vendor/socket.io/socket.io.min.js', async: true });
      s.addEventListener('load', function () {
        var ours = window.io;
        if (previous) window.io = previous;
        if (ours && ours !== previous) resolve(ours);
        else reject(new Error('livechat: the Socket.IO client did not load'));
      });
      s.addEventListener('error', function () { ioPromise = null; reject(new Error('livechat: could not load the Socket.IO client')); });
      document.head.appendChild(s);
    });
    return ioPromise;
  }

  // ---- one widget instance ------------------------------------------------------------------

  function create(opts) {
    var base = String(opts.url || window.location.origin).replace(/\/+$/, '');
    var T = Object.assign({}, STRINGS, opts.strings || {});
    T.errors = Object.assign({}, STRINGS.errors, (opts.strings && opts.strings.errors) || {});
    var locale = opts.locale || document.documentElement.lang || undefined;
    var S = {
      destroyed: false, token: null, tokenP: null, uid: null,
      session: null, sessionId: null, loaded: false, creating: null, createTried: 0, catching: false,
      msgs: new Map(), maxSeq: 0, minSeq: 0, readSeq: 0, sentReadSeq: 0,
      outbox: [], pendingEls: new Map(), streams: new Map(), liveStreams: new Set(),
      thinking: null, thinkingT: null, typers: new Map(), typingAt: 0, idleT: null, over: false,
      open: !!store.get('open'), max: !!store.get('max'),
      socket: null, everConnected: false, joined: null, joining: null, lastJoinAfter: null,
      retryN: 0, retryT: null, timers: new Set()
    };
    var ui = {}, cssLink = null, listeners = [];
    function later(fn, ms) { // a timer that dies with the widget
      var id = setTimeout(function () { S.timers.delete(id); if (!S.destroyed) fn(); }, ms);
      return S.timers.add(id) && id;
    }
    function on(target, type, fn) { target.addEventListener(type, fn); listeners.push([target, type, fn]); }

    // -- auth and REST --
    /** The ID token; refresh asks getToken() again (force: {forceRefresh: true}, after a 401/refusal). */
    function token(refresh, force) {
      if (refresh || !S.tokenP) {
        var p = S.tokenP = Promise.resolve()
          .then(function () { return opts.getToken(force ? { forceRefresh: true } : undefined); })
          .then(function (t) {
            if (!t) throw new Error('getToken() gave no token');
            S.uid = S.uid || tokenUid(t);
            return (S.token = t);
          })
          .catch(function (e) {
            if (S.tokenP === p) S.tokenP = null;
            throw Object.assign(e instanceof Error ? e : new Error(String(e)), { code: 'no_token' });
          });
      }
      return S.tokenP;
    }
    function api(method, path, body, retried) {
      return token().then(function (t) {
        var headers = { Authorization: 'Bearer ' + t, Accept: 'application/json' };
        if (body) headers['Content-Type'] = 'application/json';
        return fetch(base + path, {
          method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, mode: 'cors', credentials: 'omit'
        }).catch(function (e) { throw Object.assign(e, { code: 'network' }); });
      }).then(function (r) {
        if (r.status === 401 && !retried) return token(true, true).then(function () { return api(method, path, body, true); });
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.ok) return data;
          var err = (data && data.error) || {};
          throw Object.assign(new Error(err.message || 'HTTP ' + r.status), { code: err.code || 'http_' + r.status, details: err.details });
        });
      });
    }
    /** A fetch that failed while the socket is up is no outage (e.g. the API refuses this origin: CORS_ORIGINS). */
    function offline(err) { return err.code === 'network' && !(S.socket && S.socket.connected); }
    function sessionPath(suffix) { return '/api/support/chat/sessions/' + encodeURIComponent(S.sessionId) + suffix; }

    // -- DOM --
    function dots() {
      var d = el('span', 'lc-dots', { 'aria-hidden': 'true' });
      [0, 1, 2].forEach(function () { d.appendChild(el('span')); });
      return d;
    }
    function hbtn(cls, testid, label, iconName) {
      var b = el('button', 'lc-hbtn ' + cls, { type: 'button', 'data-testid': testid, 'aria-label': label, title: label });
      return b.appendChild(icon(iconName)) && b;
    }
    function build() {
      var title = opts.title || T.title, id = 'livechat-' + uuid().slice(0, 8);
      var root = ui.root = el('div', 'lc-root' + (opts.position === 'left' ? ' lc-left' : ''), {
        hidden: true, lang: opts.strings ? locale : 'en', 'data-livechat': ''
      });
      ui.launcher = el('button', 'lc-launcher', {
        type: 'button', 'data-testid': 'livechat-launcher', 'aria-controls': id, 'aria-expanded': 'false', 'aria-label': T.openChat
      });
      ui.launcher.appendChild(icon('chat'));
      ui.badge = ui.launcher.appendChild(el('span', 'lc-badge', { 'data-testid': 'livechat-badge', hidden: true, 'aria-hidden': 'true' }, '0'));
      var panel = ui.panel = el('div', 'lc-panel', { id: id, role: 'dialog', 'aria-label': title, 'data-testid': 'livechat-panel', hidden: true });
      var header = panel.appendChild(el('div', 'lc-header'));
      var titles = header.appendChild(el('div', 'lc-titles'));
      titles.appendChild(el('h2', 'lc-title', null, title));
      ui.status = titles.appendChild(el('p', 'lc-status', { 'data-testid': 'livechat-status', 'data-state': 'connecting' }));
      ui.status.appendChild(el('span', 'lc-dot', { 'aria-hidden': 'true' }));
      ui.statusText = ui.status.appendChild(el('span', null, null, T.connecting));
      ui.maxBtn = header.appendChild(hbtn('lc-maxbtn', 'livechat-maximize', T.maximize, 'max'));
      ui.maxBtn.setAttribute('aria-pressed', 'false');
      ui.minBtn = header.appendChild(hbtn('lc-minbtn', 'livechat-minimize', T.minimize, 'down'));
      ui.waiting = panel.appendChild(el('div', 'lc-banner lc-waiting', { 'data-testid': 'livechat-waiting', role: 'status', hidden: true }));
      ui.agent = panel.appendChild(el('div', 'lc-banner lc-agentbar', { 'data-testid': 'livechat-agent', role: 'status', hidden: true }));
      ui.error = panel.appendChild(el('div', 'lc-error', { 'data-testid': 'livechat-error', role: 'alert', hidden: true }));
      ui.errorText = ui.error.appendChild(el('span', 'lc-error-text'));
      ui.errorClose = ui.error.appendChild(el('button', 'lc-error-close', { type: 'button', 'aria-label': T.dismiss, title: T.dismiss }));
      ui.errorClose.appendChild(icon('close'));
      ui.scroll = panel.appendChild(el('div', 'lc-scroll', { tabindex: '0', role: 'region', 'aria-label': T.messages }));
      ui.earlier = ui.scroll.appendChild(el('button', 'lc-earlier', { type: 'button', hidden: true }, T.earlier));
      ui.list = ui.scroll.appendChild(el('ol', 'lc-messages', { 'data-testid': 'livechat-messages' }));
      ui.welcome = ui.scroll.appendChild(el('p', 'lc-welcome', null, T.welcome)); // shown by CSS while the list is empty
      ui.thinking = ui.scroll.appendChild(el('div', 'lc-indicator', { 'data-testid': 'livechat-ai-thinking', hidden: true }));
      ui.thinking.appendChild(dots()).parentNode.appendChild(el('span', null, null, T.thinking));
      ui.typing = ui.scroll.appendChild(el('div', 'lc-indicator', { 'data-testid': 'livechat-typing', hidden: true }));
      ui.typingText = ui.typing.appendChild(dots()).parentNode.appendChild(el('span'));
      // Always there (an ended chat: a new one is opened first), so a person is one press away.
      ui.human = panel.appendChild(el('button', 'lc-human', { type: 'button', 'data-testid': 'livechat-human' }, T.human));
      ui.ended = panel.appendChild(el('div', 'lc-ended', { 'data-testid': 'livechat-ended', hidden: true }));
      ui.ended.appendChild(el('p', null, null, T.ended));
      ui.newChat = ui.ended.appendChild(el('button', 'lc-primary', { type: 'button', 'data-testid': 'livechat-new-chat' }, T.newChat));
      ui.pastBtn = ui.ended.appendChild(el('button', 'lc-earlier', { type: 'button', 'data-testid': 'livechat-past' }, T.past));
      // Past conversations, read-only: the list, or one chat's messages (no composer).
      ui.past = panel.insertBefore(el('div', 'lc-past', { 'data-testid': 'livechat-past-view', role: 'region', 'aria-label': T.past, hidden: true }), ui.ended);
      ui.pastBack = ui.past.appendChild(el('button', 'lc-earlier', { type: 'button', 'data-testid': 'livechat-past-back' }, T.back));
      ui.pastList = ui.past.appendChild(el('ul', 'lc-past-list', { 'data-testid': 'livechat-past-list', 'aria-label': T.past }));
      ui.pastMsgs = ui.past.appendChild(el('ol', 'lc-messages', { 'data-testid': 'livechat-past-messages', 'aria-label': T.messages }));
      ui.composer = panel.appendChild(el('form', 'lc-composer', { novalidate: true }));
      ui.counter = ui.composer.appendChild(el('p', 'lc-counter', { id: id + '-counter', hidden: true }));
      var row = ui.composer.appendChild(el('div', 'lc-row'));
      ui.input = row.appendChild(el('textarea', 'lc-input', {
        'data-testid': 'livechat-input', rows: '1', 'aria-label': T.inputLabel, placeholder: T.placeholder,
        'aria-describedby': id + '-counter', autocomplete: 'off'
      }));
      ui.send = row.appendChild(el('button', 'lc-send', { type: 'submit', 'data-testid': 'livechat-send', 'aria-label': T.send, title: T.send, disabled: true }));
      ui.send.appendChild(icon('send'));
      ui.live = panel.appendChild(el('div', 'lc-sr', { 'aria-live': 'polite', 'aria-atomic': 'true' }));
      root.appendChild(panel).parentNode.appendChild(ui.launcher);
      document.body.appendChild(root);
      cssLink = loadCss(base + '/static/widget.css', function (err) {
        if (err && window.console) window.console.warn(err.message);
        if (!S.destroyed) show(root, true); // shown once styled (no flash of unstyled widget)
      });
      wire(); applyOpen(false); applyMax();
    }
    function wire() {
      on(ui.launcher, 'click', function () { setOpen(!S.open, true); });
      on(ui.minBtn, 'click', function () { setOpen(false, true); });
      on(ui.maxBtn, 'click', function () { S.max = !S.max; store.set('max', S.max); applyMax(); });
      on(ui.errorClose, 'click', function () { show(ui.error, false); if (!ui.composer.hidden) ui.input.focus(); });
      on(ui.newChat, 'click', startNewChat);
      on(ui.human, 'click', requestHuman);
      on(ui.pastBtn, 'click', function () { pastView(true); });
      on(ui.pastBack, 'click', function () { if (ui.pastMsgs.firstChild) pastView(true); else pastView(false); });
      on(ui.earlier, 'click', loadEarlier);
      on(ui.composer, 'submit', function (e) { e.preventDefault(); submit(); });
      on(ui.input, 'keydown', function (e) {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); submit(); }
      });
      on(ui.input, 'input', onInput);
      on(ui.input, 'blur', stopTyping);
      on(ui.root, 'keydown', function (e) {
        if ((e.key === 'Escape' || e.key === 'Esc') && S.open) { e.preventDefault(); setOpen(false, true); }
      });
      on(window, 'online', onNetwork); on(window, 'offline', onNetwork);
      on(document, 'visibilitychange', markRead); on(window, 'focus', markRead);
    }
    function setOpen(open, byUser) { store.set('open', (S.open = open)); applyOpen(byUser); }
    function applyOpen(byUser) {
      show(ui.panel, S.open);
      ui.root.classList.toggle('lc-is-open', S.open);
      ui.launcher.setAttribute('aria-expanded', String(S.open));
      setIcon(ui.launcher, S.open ? 'down' : 'chat');
      if (S.open) {
        markRead(); scrollDown(true);
        if (byUser) (ui.composer.hidden ? ui.newChat : ui.input).focus(); // never steal focus on page load
      } else {
        stopTyping();
        if (byUser) ui.launcher.focus();
      }
      updateUnread();
    }
    function applyMax() {
      var label = S.max ? T.restore : T.maximize;
      ui.panel.classList.toggle('lc-max', S.max);
      ui.maxBtn.setAttribute('aria-pressed', String(S.max));
      ui.maxBtn.setAttribute('aria-label', label); ui.maxBtn.setAttribute('title', label);
      setIcon(ui.maxBtn, S.max ? 'restore' : 'max');
    }
    function nearBottom() { return ui.scroll.scrollHeight - ui.scroll.scrollTop - ui.scroll.clientHeight < 80; }
    function scrollDown(force) { if (force || nearBottom()) ui.scroll.scrollTop = ui.scroll.scrollHeight; }
    function announce(text) {
      ui.live.textContent = '';
      later(function () { ui.live.textContent = text.length > 300 ? text.slice(0, 300) + '…' : text; }, 50);
    }
    function showError(err) {
      var code = (err && err.code) || 'generic';
      if (/^(invalid_token|token_expired|token_revoked)$/.test(code)) code = 'unauthorized';
      var text = T.errors[code];
      S.errorCode = code;
      if (code === 'validation_error') {
        var d = err.details;
        var first = d && typeof d === 'object' ? Object.keys(d).map(function (k) { return [].concat(d[k])[0]; })[0] : null;
        text = fmt(text, { message: typeof first === 'string' ? first : err.message || '' });
      } else if (code === 'message_too_long') {
        text = fmt(text, { limit: (err.details && err.details.limit) || MAX_CHARS });
      }
      ui.errorText.textContent = text || (err && err.message) || T.errors.generic;
      show(ui.error, true);
    }
    function recovered() { // transient sign-in or network trouble is over: drop its notice
      if (/^(unauthorized|no_token|network)$/.test(S.errorCode)) show(ui.error, false);
    }

    // -- connection status: connected | connecting | offline --
    function setStatus() {
      var sock = S.socket;
      var state = !navigator.onLine ? 'offline' : sock && sock.connected ? 'connected'
        : sock && (sock.active || S.retryT) ? 'connecting' : 'offline';
      ui.status.setAttribute('data-state', state);
      ui.statusText.textContent = state === 'connected' ? T.connected : state === 'offline' ? T.offline
        : S.everConnected ? T.reconnecting : T.connecting;
    }
    function onNetwork() {
      setStatus();
      if (navigator.onLine && S.socket && !S.socket.connected && !S.socket.active) S.socket.connect();
    }

    // -- messages --
    function ownId(id) { return id != null && (id === S.uid || !!(S.session && id === S.session.userId)); }
    function agentName(uid) {
      var a = S.session && S.session.agent;
      return a && a.id === uid && a.displayName ? a.displayName : T.agent;
    }
    function senderLabel(m) {
      return { AI: T.assistant, AGENT: agentName(m.senderId), SYSTEM: T.notice }[m.senderType] || T.you;
    }
    function timeText(iso) {
      var d = new Date(iso || NaN);
      if (isNaN(d.getTime())) return '';
      try { return d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' }); } catch (e) { return ''; }
    }
    /** One row: a stored message (m), or the customer's pending/failed outbox entry (entry). */
    function messageNode(m, entry) {
      var type = m ? m.senderType : 'USER';
      var li = el('li', 'lc-msg lc-' + String(type).toLowerCase(), {
        'data-testid': 'livechat-message', 'data-sender-type': type, 'data-seq': m ? m.seq : '',
        'data-message-id': m ? m.id : '', 'data-client-id': (m ? m.clientMessageId : entry.cid) || ''
      });
      var visibleLabel = type === 'AI' || type === 'AGENT';
      li.appendChild(el('div', visibleLabel ? 'lc-sender' : 'lc-sr', null, m ? senderLabel(m) : T.you));
      var text = li.appendChild(el('div', 'lc-bubble')).appendChild(el('div', 'lc-text', { 'data-testid': 'livechat-message-text' }));
      renderText(text, m ? m.content : entry.content);
      refreshMeta(li.appendChild(el('div', 'lc-meta')).parentNode, m, entry);
      return li;
    }
    function refreshMeta(li, m, entry) {
      var meta = li.querySelector('.lc-meta');
      var time = timeText(m ? m.createdAt : entry.at);
      meta.textContent = '';
      if (time) meta.appendChild(el('span', 'lc-time', null, time));
      if (m && m.senderType !== 'USER') return;
      var status = m ? 'sent' : entry.status;
      li.setAttribute('data-status', status); li.setAttribute('data-read', String(!!(m && m.isRead)));
      li.classList.toggle('lc-pending', !m); li.classList.toggle('lc-failed', status === 'failed');
      if (status === 'failed') {
        meta.appendChild(el('span', 'lc-fail', null, T.notSent + ' — '));
        meta.appendChild(el('button', 'lc-retry', { type: 'button', 'data-testid': 'livechat-retry' }, T.retry))
          .addEventListener('click', function () { retrySend(entry.cid); });
      } else if (status === 'pending') {
        meta.appendChild(el('span', 'lc-state', null, T.sending));
      } else {
        meta.appendChild(el('span', 'lc-state' + (m.isRead ? ' lc-read' : ''), { 'aria-hidden': 'true' }, m.isRead ? '✓✓' : '✓'));
        meta.appendChild(el('span', 'lc-state', null, m.isRead ? T.read : T.sent));
      }
    }
    /** Stored messages in seq order, then live AI streams (seq 'stream'), then pending ones (seq null). */
    function insertNode(node, seq) {
      var kids = ui.list.children;
      for (var i = 0; seq !== null && i < kids.length; i++) {
        var kseq = kids[i].getAttribute('data-seq'); // '' pending, null stream
        if (seq === 'stream' ? kseq === '' : !kseq || Number(kseq) > seq) return ui.list.insertBefore(node, kids[i]);
      }
      return ui.list.appendChild(node);
    }
    /** Add or update a stored message; deduped by id (history and message:new may overlap). */
    function upsert(m, live) {
      if (!m || !m.id || m.sessionId !== S.sessionId || typeof m.seq !== 'number') return;
      var node = m.senderType === 'USER' && m.clientMessageId ? settle(m.clientMessageId, true) : null;
      var cur = S.msgs.get(m.id);
      if (cur) {
        if (node) node.remove();
        cur.m = Object.assign({}, cur.m, m, { isRead: cur.m.isRead || m.isRead });
        refreshMeta(cur.el, cur.m);
        return;
      }
      // A live message past a hole in seq: something was not relayed to us (e.g. while the
      // servers' Redis was down). Fetch the hole; a legitimately skipped number brings nothing.
      var gapFrom = live && S.maxSeq && m.seq > S.maxSeq + 1 ? S.maxSeq : null;
      var atBottom = nearBottom();
      if (node) { // the pending row becomes the stored message: the same element, moved into place
        node.remove();
        node.setAttribute('data-seq', m.seq); node.setAttribute('data-message-id', m.id);
        renderText(node.querySelector('.lc-text'), m.content); // the server masks card numbers
        refreshMeta(node, m);
      } else {
        node = messageNode(m);
      }
      S.msgs.set(m.id, { m: m, el: node });
      insertNode(node, m.seq);
      S.maxSeq = Math.max(S.maxSeq, m.seq);
      S.minSeq = S.minSeq ? Math.min(S.minSeq, m.seq) : m.seq;
      if (gapFrom !== null) catchUp(gapFrom);
      show(ui.earlier, S.minSeq > 1);
      if (m.senderType === 'AI') { dropStream(m.metadata && m.metadata.streamId); setThinking(null); }
      if (m.senderType !== 'USER') {
        stopTyper(m.senderId);
        if (live) announce(fmt(T.newFrom, { name: senderLabel(m), text: m.content }));
      }
      if (m.senderType === 'SYSTEM') renderSession();
      if (atBottom || (live && m.senderType === 'USER')) scrollDown(true);
      updateUnread(); markRead();
    }
    function clearMessages() {
      S.msgs.forEach(function (x) { x.el.remove(); });
      S.streams.forEach(function (x) { x.el.remove(); });
      [S.msgs, S.streams, S.liveStreams].forEach(function (c) { c.clear(); });
      clearTypers();
      setThinking(null);
      S.maxSeq = S.minSeq = S.readSeq = S.sentReadSeq = 0;
      show(ui.earlier, false);
    }
    function clearTypers() {
      S.typers.forEach(function (t) { clearTimeout(t); });
      S.typers.clear();
      renderTyping();
    }
    function loadEarlier() {
      if (!S.sessionId || S.minSeq <= 1) return;
      var sid = S.sessionId, after = Math.max(0, S.minSeq - 51), height = ui.scroll.scrollHeight;
      api('GET', sessionPath('/messages?after=' + after + '&limit=' + (S.minSeq - 1 - after))).then(function (r) {
        if (sid !== S.sessionId) return;
        (r.items || []).forEach(function (m) { upsert(m, false); });
        ui.scroll.scrollTop += ui.scroll.scrollHeight - height; // keep the reader's place
      }, showError);
    }
    /** REST catch-up after S.maxSeq (more than one history page missed, or a reply not received). */
    /** Fetch what was stored after `after` (default: the newest we have). */
    function catchUp(after) {
      var sid = S.sessionId;
      if (!sid || S.catching) return;
      S.catching = true;
      var from = typeof after === 'number' ? after : S.maxSeq;
      api('GET', sessionPath('/messages?after=' + from + '&limit=200')).then(function (r) {
        S.catching = false;
        if (sid !== S.sessionId) return;
        var items = r.items || [];
        items.forEach(function (m) { upsert(m, false); });
        if (r.hasMore && items.length) catchUp(items[items.length - 1].seq);
      }, function () { S.catching = false; });
    }

    // -- unread badge and read receipts --
    function updateUnread() {
      var n = 0;
      if (!S.open) S.msgs.forEach(function (x) { if (x.m.senderType !== 'USER' && !x.m.isRead && x.m.seq > S.readSeq) n++; });
      ui.badge.textContent = n > 99 ? '99+' : String(n);
      show(ui.badge, n > 0);
      ui.launcher.setAttribute('aria-label', (S.open ? T.closeChat : T.openChat) + (n ? ' (' + fmt(T.unread, { n: n }) + ')' : ''));
    }
    /** Panel open and tab visible: the customer has seen everything; tell the server once joined. */
    function markRead() {
      if (!S.open || document.visibilityState === 'hidden' || !S.sessionId) return;
      S.msgs.forEach(function (x) { if (x.m.senderType !== 'USER' && !x.m.isRead) S.readSeq = Math.max(S.readSeq, x.m.seq); });
      updateUnread();
      if (S.readSeq > S.sentReadSeq && joined()) {
        S.sentReadSeq = S.readSeq;
        S.socket.emit('message:read', { sessionId: S.sessionId, upToSeq: S.readSeq }, noop);
      }
    }
    function onRead(p) {
      if (!p || p.sessionId !== S.sessionId) return;
      var byCustomer = ownId(p.readerId); // true: another tab of ours read the other side's messages
      (p.messageIds || []).forEach(function (id) {
        var x = S.msgs.get(id);
        if (!x || (x.m.senderType === 'USER') === byCustomer) return;
        x.m.isRead = true; x.m.readAt = p.readAt;
        refreshMeta(x.el, x.m);
      });
      updateUnread();
    }

    // -- outbox: pending messages, persisted, resent with the same clientMessageId --
    function outboxKey() { return 'outbox:' + (S.uid || '_'); }
    function saveOutbox() {
      var keep = S.outbox.map(function (e) { return { cid: e.cid, content: e.content, at: e.at, status: e.status }; });
      if (keep.length) store.set(outboxKey(), keep);
      else store.del(outboxKey());
    }
    function loadOutbox() {
      var saved = store.get(outboxKey());
      (Array.isArray(saved) ? saved : []).forEach(function (e) {
        if (!e || typeof e.cid !== 'string' || typeof e.content !== 'string' || findEntry(e.cid)) return;
        addEntry({ cid: e.cid, content: e.content, at: e.at, status: e.status === 'failed' ? 'failed' : 'pending', attempts: 0 });
      });
    }
    function addEntry(e) {
      S.outbox.push(e);
      S.pendingEls.set(e.cid, insertNode(messageNode(null, e), null));
    }
    function findEntry(cid) { return S.outbox.filter(function (e) { return e.cid === cid; })[0] || null; }
    /** The message is stored: drop it from the outbox; returns its row when keepNode. */
    function settle(cid, keepNode) {
      var e = findEntry(cid), node = S.pendingEls.get(cid) || null;
      if (e) { S.outbox.splice(S.outbox.indexOf(e), 1); e.settled = true; saveOutbox(); }
      S.pendingEls.delete(cid);
      if (node && !keepNode) node.remove();
      return node;
    }
    function setEntry(e, status, error) {
      var node = S.pendingEls.get(e.cid);
      e.status = status;
      if (node) refreshMeta(node, null, e);
      saveOutbox();
      if (status === 'failed') { showError(error); announce(T.failed); }
    }
    function submit() {
      var content = ui.input.value.trim(), n = chars(content);
      if (!n || n > MAX_CHARS) {
        if (n) showError({ code: 'message_too_long' });
        return;
      }
      stopTyping();
      ui.input.value = '';
      onInput();
      addEntry({ cid: uuid(), content: content, at: new Date().toISOString(), status: 'pending', attempts: 0 });
      saveOutbox(); scrollDown(true); flush();
    }
    function retrySend(cid) {
      var e = findEntry(cid);
      if (!e) return;
      e.attempts = 0;
      setEntry(e, 'pending'); show(ui.error, false); flush();
    }
    function flush() {
      if (!S.outbox.some(function (e) { return e.status === 'pending'; })) return;
      if (!S.sessionId || S.session.status === 'ENDED') {
        if (S.sessionId || !S.loaded) return; // ended: sent once a new chat starts; not loaded yet: later
        ensureSession().catch(function (err) {
          if (offline(err)) return; // stays pending until we are back
          S.outbox.forEach(function (e) { if (e.status === 'pending') setEntry(e, 'failed', err); });
        });
        return;
      }
      if (!joined()) return;
      S.outbox.forEach(function (e) { if (e.status === 'pending' && !e.inflight) emitSend(e); });
    }
    function emitSend(e) {
      var sock = S.socket, attempt = e.attempt = (e.attempt || 0) + 1;
      e.inflight = true;
      sock.timeout(ACK_TIMEOUT).emit('message:send', { sessionId: S.sessionId, content: e.content, clientMessageId: e.cid }, function (err, ack) {
        if (e.attempt !== attempt || e.settled || S.destroyed) return;
        e.inflight = false;
        if (err || !ack) {
          if (!sock.connected) return; // lost with the connection: resent after the re-join
          e.attempts++;
          if (e.attempts >= MAX_ATTEMPTS) setEntry(e, 'failed', { code: 'timeout' });
          else later(flush, 1000 * e.attempts);
        } else if (ack.ok) {
          upsert(ack.message, false); settle(e.cid, false);
        } else if (ack.error && ack.error.code === 'internal_error' && ++e.attempts < MAX_ATTEMPTS) {
          later(flush, 1000 * e.attempts); // the protocol says: retry with the same clientMessageId
        } else {
          setEntry(e, 'failed', ack.error);
        }
      });
    }

    // -- typing --
    function onInput() {
      var value = ui.input.value, n = chars(value.trim()), over = n > MAX_CHARS;
      ui.counter.textContent = fmt(over ? T.tooLong : T.counter, { n: n, max: MAX_CHARS });
      ui.counter.classList.toggle('lc-over', over);
      show(ui.counter, n > MAX_CHARS - 500);
      ui.input.setAttribute('aria-invalid', String(over));
      if (over && !S.over) announce(ui.counter.textContent); // once, as it goes over the limit
      S.over = over;
      ui.send.disabled = !n || over;
      ui.input.rows = Math.min(5, value.split('\n').length);
      if (!n) { stopTyping(); return; }
      if (!S.sessionId && S.loaded && !S.creating && Date.now() - S.createTried > 10000) {
        S.createTried = Date.now(); // the customer started typing: open the chat now
        ensureSession().catch(noop);
      }
      if (!joined() || S.session.status === 'ENDED') return;
      if (Date.now() - S.typingAt >= TYPING_THROTTLE) {
        S.typingAt = Date.now();
        S.socket.emit('typing:start', { sessionId: S.sessionId }, noop);
      }
      clearTimeout(S.idleT);
      S.idleT = later(stopTyping, TYPING_IDLE);
    }
    function stopTyping() {
      clearTimeout(S.idleT);
      if (S.typingAt && joined()) S.socket.emit('typing:stop', { sessionId: S.sessionId }, noop);
      S.typingAt = 0;
    }
    function onTyping(p, typing) {
      if (!p || p.sessionId !== S.sessionId || ownId(p.userId)) return;
      if (!typing) return stopTyper(p.userId);
      clearTimeout(S.typers.get(p.userId));
      S.typers.set(p.userId, later(function () { stopTyper(p.userId); }, 8000)); // if the stop is lost
      renderTyping();
    }
    function stopTyper(uid) {
      if (!S.typers.has(uid)) return;
      clearTimeout(S.typers.get(uid)); S.typers.delete(uid); renderTyping();
    }
    function renderTyping() {
      var names = Array.from(S.typers.keys()).map(agentName), atBottom = nearBottom();
      ui.typingText.textContent = names.length ? fmt(T.typing, { name: names.join(', ') }) : '';
      show(ui.typing, names.length > 0);
      if (atBottom) scrollDown(true);
    }

    // -- the assistant's streamed replies --
    function setThinking(streamId) {
      var atBottom = nearBottom();
      clearTimeout(S.thinkingT);
      S.thinking = streamId;
      show(ui.thinking, !!streamId);
      if (!streamId) return;
      S.thinkingT = later(function () { setThinking(null); }, 90000); // never spin forever
      if (atBottom) scrollDown(true);
    }
    function dropStream(streamId) {
      if (!streamId) return;
      var s = S.streams.get(streamId);
      if (s) s.el.remove();
      S.streams.delete(streamId); S.liveStreams.delete(streamId);
      if (S.thinking === streamId) setThinking(null);
    }
    function onDelta(p) {
      if (!p || p.sessionId !== S.sessionId || typeof p.delta !== 'string') return;
      if (!S.liveStreams.has(p.streamId)) { // joined mid-reply: no partial text, wait for the stored one
        if (!S.thinking) setThinking(p.streamId);
        return;
      }
      var s = S.streams.get(p.streamId), atBottom = nearBottom();
      if (!s) {
        var li = el('li', 'lc-msg lc-ai lc-streaming', { 'data-testid': 'livechat-ai-stream', 'data-stream-id': p.streamId, 'aria-busy': 'true' });
        li.appendChild(el('div', 'lc-sender', null, T.assistant));
        s = { el: li, textEl: li.appendChild(el('div', 'lc-bubble')).appendChild(el('div', 'lc-text')), text: '' };
        S.streams.set(p.streamId, insertNode(li, 'stream') && s);
        if (S.thinking === p.streamId) setThinking(null);
      }
      s.textEl.textContent = (s.text += p.delta); // textContent only while streaming
      if (atBottom) scrollDown(true);
    }

    // -- the session: banners, ended state, creation --
    function renderSession() {
      var s = S.session, status = s && s.status, ended = status === 'ENDED';
      var agent = s && s.agent && !ended ? s.agent : null, waiting = status === 'WAITING' && !agent;
      if (waiting) {
        var pos = ((s.metadata && s.metadata.escalation) || {}).queuePosition, minutes = null, best = 0;
        S.msgs.forEach(function (x) { // the latest queue notice says how long
          var md = x.m.metadata;
          if (x.m.senderType === 'SYSTEM' && md && md.waitMinutes != null && x.m.seq > best) {
            best = x.m.seq; minutes = md.waitMinutes;
            if (pos == null) pos = md.queuePosition;
          }
        });
        var live = S.queuePos && S.queuePos.sessionId === s.id ? S.queuePos : null; // queue:position
        if (live) { pos = live.position; minutes = Math.max(1, Math.round(live.etaSeconds / 60)); }
        ui.waiting.textContent = T.waiting + (pos ? fmt(T.queue, { n: pos }) : '') + (minutes ? fmt(T.wait, { m: minutes }) : '');
      }
      show(ui.waiting, waiting);
      ui.agent.textContent = agent ? fmt(T.withAgent, { name: agent.displayName || T.agent }) : '';
      show(ui.agent, !!agent);
      var focusInComposer = ui.composer.contains(document.activeElement);
      show(ui.ended, ended); show(ui.composer, !ended);
      if (!ended) return;
      stopTyping(); dropStreams();
      if (focusInComposer) ui.newChat.focus();
    }
    function setSession(s, messages) {
      if (s.id !== S.sessionId) {
        if (S.sessionId && joined()) S.socket.emit('leave:session', { sessionId: S.sessionId }, noop);
        clearMessages();
        S.sessionId = s.id;
        S.joined = S.joining = null;
      }
      S.session = s;
      (messages || []).forEach(function (m) { upsert(m, false); });
      renderSession(); renderTyping(); scrollDown(true); join();
    }
    function onSessionUpdated(p) {
      var s = p && p.session;
      if (!s || !s.id) return;
      if (s.id === S.sessionId) {
        S.session = s;
        renderSession(); renderTyping();
        if (s.status !== 'ACTIVE' || s.agent) setThinking(null);
      } else if ((!S.sessionId || S.session.status === 'ENDED') && s.status !== 'ENDED') {
        setSession(s, []); // a chat opened in another tab
      }
    }
    /** On every connect the server says which chat is open (session:current), or null: no chat yet, opened on the first send. */
    function onCurrent(p) {
      S.loaded = true;
      recovered();
      ui.welcome.textContent = p && p.assistant === false ? T.welcomeHuman : T.welcome;
      if (p && p.session) onSessionUpdated(p);
      flush();
    }
    function ensureSession() {
      if (S.sessionId && S.session.status !== 'ENDED') return Promise.resolve(S.session);
      S.creating = S.creating || api('POST', '/api/support/chat/sessions/user', { metadata: { source: 'widget' } }).then(function (s) {
        S.creating = null;
        setSession(s, s.messages);
        return s;
      }, function (err) { S.creating = null; throw err; });
      return S.creating;
    }
    function pastView(on) { // the list (on), or back to the chat
      ui.panel.classList.toggle('lc-in-past', on); show(ui.past, on);
      ui.pastList.textContent = ui.pastMsgs.textContent = '';
      if (!on) return ui.pastBtn.focus();
      ui.pastBack.focus();
      api('GET', '/api/support/chat/sessions/mine?pageSize=20').then(function (r) {
        var items = r.items || [];
        if (!items.length) ui.pastList.appendChild(el('li', null, null, T.noPast));
        items.forEach(function (s) {
          var d = new Date(s.createdAt), label = isNaN(d) ? s.id : d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
          ui.pastList.appendChild(el('li')).appendChild(el('button', 'lc-earlier', { type: 'button', 'data-testid': 'livechat-past-item' },
            label + (s.status === 'ENDED' ? '' : ' (' + T.current + ')'))).addEventListener('click', function () { pastChat(s.id); });
        });
      }, showError);
    }
    function pastChat(id) {
      api('GET', '/api/support/chat/sessions/' + encodeURIComponent(id) + '/messages?limit=200').then(function (r) {
        ui.pastList.textContent = '';
        (r.items || []).forEach(function (m) { ui.pastMsgs.appendChild(messageNode(m)); });
        ui.pastBack.focus();
      }, showError);
    }
    function startNewChat() {
      ui.newChat.disabled = true;
      ensureSession().then(function () {
        show(ui.error, false); flush();
        if (S.open) ui.input.focus();
      }, showError).then(function () { ui.newChat.disabled = false; });
    }

    /** "Talk to a person": session:request_human (REST while the socket is down), opening a chat first if needed. */
    function requestHuman() {
      if (S.asking) return;
      S.asking = true;
      ensureSession().then(function () {
        var sock = S.socket;
        if (!sock || !sock.connected) return api('POST', sessionPath('/request-human'));
        return new Promise(function (resolve, reject) {
          sock.timeout(ACK_TIMEOUT).emit('session:request_human', { sessionId: S.sessionId }, function (err, ack) {
            if (err || !ack) reject({ code: 'timeout' }); else if (ack.ok) resolve(ack); else reject(ack.error);
          });
        });
      }).then(function (r) {
        show(ui.error, false);
        if (r.session && r.session.id === S.sessionId) { S.session = r.session; renderSession(); }
        announce(r.alreadyWaiting ? T.humanAlready : T.humanAsked);
      }, showError).then(function () { S.asking = false; });
    }

    // -- the socket --
    function joined() { return !!(S.socket && S.socket.connected && S.sessionId && S.joined === S.sessionId); }
    function join() {
      var sock = S.socket, sid = S.sessionId;
      if (!sock || !sock.connected || !sid || S.joined === sid || S.joining === sid) return;
      S.joining = sid;
      S.lastJoinAfter = S.maxSeq > 0 ? S.maxSeq : null;
      sock.timeout(ACK_TIMEOUT).emit('join:session', S.lastJoinAfter ? { sessionId: sid, afterSeq: S.lastJoinAfter } : sid, function (err, ack) {
        if (S.joining === sid) S.joining = null;
        if (sid !== S.sessionId || S.destroyed) return;
        if (err || !ack) {
          if (sock.connected) later(join, 2000);
        } else if (!ack.ok) {
          var code = ack.error && ack.error.code;
          if (code === 'session_not_found' || code === 'forbidden') { // gone: the next send opens a new chat
            clearMessages(); S.session = S.sessionId = null; renderSession();
          }
          showError(ack.error);
        } else {
          S.joined = sid;
          if (ack.lastSeq > S.maxSeq) catchUp();
          flush(); markRead();
        }
      });
    }
    function onHistory(h) {
      if (!h || h.sessionId !== S.sessionId) return;
      if (h.session) S.session = h.session;
      (h.messages || []).forEach(function (m) { upsert(m, false); });
      renderSession(); renderTyping();
      if (h.hasMore && S.lastJoinAfter) catchUp(); // more than one page missed while away
    }
    function scheduleReconnect() {
      if (S.retryT || S.destroyed) return;
      var delay = Math.min(30000, 1000 * Math.pow(2, S.retryN++)) * (0.75 + Math.random() / 2);
      S.retryT = later(function () {
        S.retryT = null;
        if (S.socket && !S.socket.connected) S.socket.connect();
      }, delay);
      setStatus();
    }
    function forStream(fn) { return function (p) { if (p && p.sessionId === S.sessionId) fn(p); }; }
    function dropStreams() { S.streams.forEach(function (x, id) { dropStream(id); }); setThinking(null); }
    function connect(io) {
      var sock = S.socket = io(base, {
        path: '/socket.io/chat', transports: ['websocket', 'polling'], reconnectionDelay: 1000, reconnectionDelayMax: 15000,
        auth: function (cb) { // asked at every (re)connection
          token().then(function (t) { cb({ token: t }); }, function () { cb({ token: S.token || '' }); });
        }
      });
      sock.on('connect', function () {
        S.everConnected = true;
        S.retryN = 0;
        S.joined = S.joining = null;
        setStatus();
        join(); flush();
      });
      sock.on('disconnect', function (reason) {
        S.joined = S.joining = null;
        S.outbox.forEach(function (e) { e.inflight = false; });
        clearTypers();
        dropStreams(); // the stored reply comes with the catch-up
        if (reason === 'io server disconnect') scheduleReconnect();
        setStatus();
      });
      sock.on('connect_error', function (err) {
        // Any refusal may mean an expired token: ask the host page again (forced after an auth refusal).
        var auth = !!(err && (err.message === 'unauthorized' || (err.data && err.data.code)));
        token(true, auth).catch(noop);
        if (!sock.active) scheduleReconnect(); // refused by the server: Socket.IO does not retry by itself
        setStatus();
      });
      sock.io.on('reconnect_attempt', setStatus);
      sock.on('session:current', onCurrent);
      sock.on('session:history', onHistory);
      sock.on('message:new', function (m) { upsert(m, true); });
      sock.on('message:read', onRead);
      sock.on('session:updated', onSessionUpdated);
      sock.on('queue:position', function (p) { if (p && p.sessionId) { S.queuePos = p; if (S.session) renderSession(); } });
      sock.on('typing:start', function (p) { onTyping(p, true); });
      sock.on('typing:stop', function (p) { onTyping(p, false); });
      sock.on('ai:processing', forStream(function (p) { S.liveStreams.add(p.streamId); setThinking(p.streamId); }));
      sock.on('ai:delta', onDelta);
      sock.on('ai:complete', forStream(function (p) {
        if (!S.msgs.has(p.messageId)) catchUp(); // the stored reply has not reached us: fetch it
        else dropStream(p.streamId);
        if (S.thinking === p.streamId) setThinking(null);
      }));
      sock.on('ai:cancelled', forStream(function (p) { dropStream(p.streamId); }));
      sock.on('ai:error', forStream(function (p) { dropStream(p.streamId); })); // a SYSTEM notice follows
      sock.on('error', function (e) {
        var quiet = { 'message:send': 1, 'typing:start': 1, 'typing:stop': 1, 'message:read': 1, 'session:request_human': 1 };
        if (e && quiet[e.event] && e.code !== 'session_ended') return; // sends fail visibly on their own row
        showError(e);
      });
      setStatus();
    }

    // -- lifecycle --
    function start() {
      build();
      token().then(function () { if (!S.destroyed) loadOutbox(); }, showError);
      loadIo(base).then(function (io) { if (!S.destroyed) connect(io); }, function (err) {
        if (window.console) window.console.error(err.message);
        showError({ code: 'network' });
        setStatus();
      });
    }
    function destroy() {
      S.destroyed = true;
      S.timers.forEach(function (id) { clearTimeout(id); });
      if (S.socket) { S.socket.off(); S.socket.io.off('reconnect_attempt', setStatus); S.socket.disconnect(); }
      listeners.forEach(function (l) { l[0].removeEventListener(l[1], l[2]); });
      if (ui.root) ui.root.remove();
      if (cssLink) cssLink.remove();
    }
    if (document.body) start();
    else document.addEventListener('DOMContentLoaded', function () { if (!S.destroyed) start(); }, { once: true });
    return {
      open: function () { if (ui.root) setOpen(true, true); else S.open = true; },
      close: function () { if (ui.root) setOpen(false, true); else S.open = false; },
      destroy: destroy
    };
  }

  var current = null;
  window.LiveChat = {
    version: '1.0.0',
    /** LiveChat.init({url, getToken, position?, title?, locale?, strings?}); a second call replaces the first. */
    init: function (options) {
      if (!options || typeof options.getToken !== 'function') {
        throw new TypeError('LiveChat.init({url, getToken}) needs getToken: a function returning a Promise of an ID token');
      }
      if (current) current.destroy();
      current = create(options);
      return window.LiveChat;
    },
    open: function () { if (current) current.open(); },
    close: function () { if (current) current.close(); },
    destroy: function () { if (current) current.destroy(); current = null; }
  };
})(window, document);
