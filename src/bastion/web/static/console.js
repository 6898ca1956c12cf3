// The review console's keyboard: every decision has a key (the page marks the element a key
// presses with data-key), "?" shows the list. Keys do nothing while the focus is in a field,
// so notes and comments type normally. Without this script every control still works.
(function () {
  "use strict";
  // A reveal's media loads once: when the page is shown again (reloaded, or reached by Back)
  // the spent link is refused, and the page says so instead of showing a broken image.
  var revealed = document.querySelector(".revealed");
  var spent = document.getElementById("spent");
  if (revealed && spent) {
    var refused = function () {
      revealed.hidden = true;
      spent.hidden = false;
    };
    if (revealed.tagName === "IMG" && revealed.complete && revealed.naturalWidth === 0) refused();
    else revealed.addEventListener("error", refused);
  }
  var dialog = document.getElementById("shortcuts");
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // While the help is open the page behind it is inert: a key must not decide there
    // (Escape closes the help).
    if (dialog && dialog.open) return;
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
