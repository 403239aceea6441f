// Where Gradio's own markup breaks WCAG 2 A/AA and no theme or CSS can reach (axe-core checks
// every tab in tests/e2e/test_web.py).
//
// A toast's header is a button (role="button", tabindex="0": it folds the messages) holding
// the Close button: a control inside a control, which a screen reader announces as one and a
// keyboard reaches twice (axe: nested-interactive). The header stays clickable with a pointer;
// for the keyboard and screen readers it is plain text beside its Close button, which is what
// a person needs of an error message.
(function () {
  "use strict";
  function plain(root) {
    root.querySelectorAll(".toast-header[role=button]").forEach(function (header) {
      header.removeAttribute("role");
      header.removeAttribute("tabindex");
    });
  }
  new MutationObserver(function () { plain(document); })
    .observe(document.documentElement, { childList: true, subtree: true });
})();
