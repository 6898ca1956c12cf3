// The review console's keyboard: every decision has a key (the page marks the element a key
// presses with data-key), "?" shows the list. Keys do nothing while the focus is in a field,
// so notes and comments type normally. Without this script every control still works.
(function () {
  "use strict";
  var dialog = document.getElementById("shortcuts");
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" && target.type !== "radio" && target.type !== "checkbox") return;
    if (tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    if (event.key === "?") {
      if (dialog && typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
      event.preventDefault();
      return;
    }
    var control = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
    if (!control) return;
    event.preventDefault();
    if (control.type === "radio" || control.type === "checkbox") {
      control.checked = true;
      control.focus();
    } else {
      control.click();
    }
  });
})();
