// Briefing: a page opened from a search result (?highlight=words) marks the words searched
// for, with Pagefind's highlighter (pagefind/pagefind-highlight.js, shipped with the index),
// and shows the first of them when the address names no passage or heading to scroll to.
(function () {
  "use strict";
  var script = document.currentScript;
  var params = new URLSearchParams(location.search);
  if (!params.getAll("highlight").length || location.protocol === "file:") { return; }
  var bundle = new URL(script.getAttribute("data-bundle"), location.href).href;
  import(bundle).then(function () {
    new window.PagefindHighlight({
      highlightParam: "highlight",
      addStyles: false,
      markOptions: { className: "search-highlight" }
    });
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var first = target || document.querySelector(".search-highlight");
    if (first) { first.scrollIntoView({ block: "center" }); }
  }).catch(function () { /* no highlighter: the page reads the same without it */ });
})();
