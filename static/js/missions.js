// The missions list filters itself as you type (progressive enhancement): the same
// search the server answers for ?q= without JavaScript (directory/search.py), on the
// missions already on the page. Our own static file, no inline code (CSP).
"use strict";

(function () {
  var input = document.getElementById("mission-search");
  var list = document.querySelector(".mission-list");
  if (!input || !list) return;
  var status = document.getElementById("search-live");

  function key(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}]+/gu, " ").trim();
  }

  var sections = Array.prototype.map.call(list.querySelectorAll("section.host-country"), function (section) {
    var link = list.querySelector('.jump-index a[href="#' + section.id + '"]');
    return {
      section: section,
      item: link ? link.parentElement : null,
      missions: Array.prototype.map.call(section.querySelectorAll("article.mission"), function (article) {
        return { article: article, text: key(article.getAttribute("data-search") || "") };
      }),
    };
  });

  function filter() {
    var wanted = key(input.value);
    var shown = 0;
    sections.forEach(function (group) {
      var inGroup = 0;
      group.missions.forEach(function (mission) {
        var match = !wanted || mission.text.indexOf(wanted) !== -1;
        mission.article.hidden = !match;
        if (match) inGroup += 1;
      });
      group.section.hidden = inGroup === 0;
      if (group.item) group.item.hidden = inGroup === 0;
      shown += inGroup;
    });
    if (status) {
      status.textContent = wanted ? status.getAttribute("data-template").replace("%s", shown) : "";
    }
  }

  input.addEventListener("input", filter);
})();
