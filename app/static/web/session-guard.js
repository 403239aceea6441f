// The web page's check that its session is one this origin's own sign-in form made.
//
// Cookies are not separated by port: a page on another port of this host can replace the
// session cookie with a stranger's, and this page would then act for the stranger (an upload
// would land in their library). Storage *is* separated by origin. The sign-in form's answer
// (signed-in.js) records the session it made; this page compares it with the session its
// requests carry, at load, every few seconds and when the tab comes back into view. A session
// this origin did not make is signed out at once, and the sign-in form says why.
(function () {
  "use strict";
  var KEY = "vidscope.session";
  var stopped = false;

  function signOut() {
    if (stopped) return;
    stopped = true;
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/logout?reason=session_changed";
    document.documentElement.appendChild(form);
    form.submit();
  }

  function check() {
    if (stopped) return;
    fetch("/web/session", { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) {
        if (answer.status === 401) {
          window.location.replace("/login?reason=signed_out");
          stopped = true;
          return null;
        }
        return answer.ok ? answer.json() : null;
      })
      .then(function (body) {
        if (body && body.session !== window.localStorage.getItem(KEY)) signOut();
      })
      .catch(function () { /* the server is away: the next check tries again */ });
  }

  check();
  window.setInterval(check, 5000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") check();
  });
})();
