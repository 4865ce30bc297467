// A page that refreshes itself (the day-of-action board) does so only while its box
// <input type="checkbox" data-auto-refresh="SECONDS"> is ticked; the choice is kept for the
// browser tab. A <meta http-equiv="refresh"> could not be stopped (WCAG 2.2.1, 2.2.2).
(function () {
  "use strict";
  var box = document.querySelector("input[data-auto-refresh]");
  if (!box) { return; }
  var key = "auto-refresh:" + location.pathname;
  var seconds = parseInt(box.getAttribute("data-auto-refresh"), 10) || 60;
  var timer = null;
  try { box.checked = sessionStorage.getItem(key) !== "off"; } catch (e) { /* storage off */ }
  function schedule() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (box.checked) { timer = setTimeout(function () { location.reload(); }, seconds * 1000); }
  }
  box.addEventListener("change", function () {
    try { sessionStorage.setItem(key, box.checked ? "on" : "off"); } catch (e) { /* storage off */ }
    schedule();
  });
  box.closest("[hidden]") && box.closest("[hidden]").removeAttribute("hidden");
  schedule();
})();
