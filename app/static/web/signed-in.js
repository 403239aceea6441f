// The sign-in form's answer: records, in this origin's own storage, the session the form just
// made (see session-guard.js), then opens the page the person was going to.
(function () {
  "use strict";
  var data = document.body.dataset;
  window.localStorage.setItem("vidscope.session", data.session);
  window.location.replace(data.next || "/");
})();
