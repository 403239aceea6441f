// The sign-in form: whatever this origin's pages kept in the browser for the last person
// (Gradio's run history of queries and results, the session record) is dropped, so the next
// person on this browser finds none of it.
(function () {
  "use strict";
  try {
    window.localStorage.clear();
    window.sessionStorage.clear();
  } catch (e) { /* storage disabled: nothing was kept */ }
})();
