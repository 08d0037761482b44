/* Demo host page: initialise the widget with a dev token for the demo customer. */
(function () {
  var script = document.currentScript;
  var uid = script.getAttribute('data-uid');
  var params = new URLSearchParams({
    uid: uid, name: script.getAttribute('data-name'), email: script.getAttribute('data-email')
  });
  function getToken() {
    return fetch('/dev/token?' + params.toString()).then(function (r) {
      if (!r.ok) { throw new Error('could not get a dev token'); }
      return r.json();
    }).then(function (body) { return body.token; });
  }
  window.addEventListener('DOMContentLoaded', function () {
    window.LiveChat.init({ url: window.location.origin, getToken: getToken });
  });
})();
