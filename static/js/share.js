// Share links (templates/signatures/_share_links.html): every link works without this
// script. With it, "Copy the link" copies the address instead of opening it, and where
// the browser has its own share sheet (phones: KakaoTalk, Signal, ...) "More apps…" opens it.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-link]").forEach(function (link) {
    if (!navigator.clipboard) { return; }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var status = link.closest(".share").querySelector(".share-status");
      navigator.clipboard.writeText(link.href).then(function () {
        if (status) { status.textContent = link.getAttribute("data-copied"); }
      }, function () { window.location.href = link.href; });
    });
  });
  document.querySelectorAll("[data-share-url]").forEach(function (button) {
    if (!navigator.share) { return; }
    button.closest(".share-more").hidden = false;
    button.addEventListener("click", function () {
      navigator.share({
        title: button.getAttribute("data-share-title"),
        url: button.getAttribute("data-share-url")
      }).catch(function () { /* the visitor closed the sheet */ });
    });
  });
})();
