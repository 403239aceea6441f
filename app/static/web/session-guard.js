// The web page's proof that its session is one this origin's own sign-in form made.
//
// Cookies are not separated by port: a page on another port of this host can replace the
// session cookie with a stranger's, and this page would then act for the stranger (an upload
// would land in their library). Storage *is* separated by origin. The sign-in form's answer
// (signed-in.js) records the session it made; this page
//  - sends that record with every request it makes to this server (X-Vidscope-Session), and
//    the server refuses a web page event whose record is not the session's own (the check
//    that holds even when this script's own checks are kept from the server), and
//  - compares the record with /web/session at load, every few seconds and when the tab comes
//    back into view: a session this origin did not make is signed out at once, and the
//    sign-in form says why. Until a check has succeeded, and whenever one cannot be made,
//    the page is covered: nothing can be done on a session that could not be verified.
(function () {
  "use strict";
  var KEY = "vidscope.session";
  var HEADER = "X-Vidscope-Session";
  var stopped = false;

  function recorded() {
    try { return window.localStorage.getItem(KEY) || ""; } catch (e) { return ""; }
  }

  function sameOrigin(url) {
    try { return new URL(url, window.location.href).origin === window.location.origin; }
    catch (e) { return false; }
  }

  // Every request this page makes to its own server carries the record.
  var fetchFirst = window.fetch;
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (sameOrigin(url)) {
      init = Object.assign({}, init || {});
      var headers = new Headers(init.headers || (typeof input === "object" ? input.headers : {}));
      headers.set(HEADER, recorded());
      init.headers = headers;
    }
    return fetchFirst.call(this, input, init);
  };
  var openFirst = XMLHttpRequest.prototype.open;
  var sendFirst = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.vidscopeSameOrigin = sameOrigin(url);
    return openFirst.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    if (this.vidscopeSameOrigin) this.setRequestHeader(HEADER, recorded());
    return sendFirst.apply(this, arguments);
  };

  function cover(message) {
    var shade = document.getElementById("vs-session-cover");
    if (!shade) {
      shade = document.createElement("div");
      shade.id = "vs-session-cover";
      shade.setAttribute("role", "alert");
      shade.style.cssText = "position:fixed;inset:0;z-index:2147483647;display:flex;" +
        "align-items:center;justify-content:center;padding:2rem;text-align:center;" +
        "background:#f4f5f7;color:#1d2330;font:1.1rem system-ui,sans-serif";
      document.documentElement.appendChild(shade);
    }
    shade.textContent = message;
  }

  function uncover() {
    var shade = document.getElementById("vs-session-cover");
    if (shade) shade.remove();
  }

  function signOut() {
    if (stopped) return;
    stopped = true;
    cover("Your session changed under this page; signing you out…");
    var form = document.createElement("form");
    form.method = "post";
    form.action = "/logout?reason=session_changed";
    document.documentElement.appendChild(form);
    form.submit();
  }

  function check() {
    if (stopped) return;
    fetchFirst.call(window, "/web/session", { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) {
        if (answer.status === 401) {
          stopped = true;
          window.location.replace("/login?reason=signed_out");
          return null;
        }
        if (!answer.ok) throw new Error("HTTP " + answer.status);
        return answer.json();
      })
      .then(function (body) {
        if (!body) return;
        if (body.session !== recorded()) signOut();
        else uncover();
      })
      .catch(function () {
        cover("Checking your session… Your session could not be checked: the server " +
          "refused or did not answer. This page waits and tries again; if it stays, clear " +
          "this site's cookies and sign in again.");
      });
  }

  cover("Checking your session…");
  check();
  window.setInterval(check, 5000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") check();
  });
})();
