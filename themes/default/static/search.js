// Briefing search page: runs Pagefind in the browser. The index lives in <site>/pagefind/
// (and, on a large site, in the parts listed in data-merge).
(function () {
  "use strict";
  var script = document.currentScript;
  var root = new URL(script.getAttribute("data-root") || "./", location.href);
  var input = document.getElementById("search-page-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var query = new URLSearchParams(location.search).get("q") || "";
  input.value = query;

  // Pagefind marks matches with <mark>; everything else becomes plain text.
  function excerpt(html) {
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    var out = document.createElement("p");
    doc.body.firstChild.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (data) {
      var item = document.createElement("li");
      var kind = document.createElement("span");
      kind.className = "kind kind-result";
      kind.textContent = (data.meta && data.meta.kind) || "Page";
      var link = document.createElement("a");
      link.href = new URL(data.url, root).href;
      link.textContent = (data.meta && data.meta.title) || data.url;
      // A topic and a tag may share a title: their links' names say which is which.
      link.setAttribute("aria-label", kind.textContent + ": " + link.textContent);
      var heading = document.createElement("h2");
      heading.appendChild(kind);
      heading.appendChild(document.createTextNode(" "));
      heading.appendChild(link);
      item.appendChild(heading);
      item.appendChild(excerpt(data.excerpt || ""));
      list.appendChild(item);
    });
  }

  if (!query) { return; }
  if (location.protocol === "file:") {
    status.textContent = "Search needs the site to be served over HTTP " +
      "(for example: python -m http.server -d output). Opened from disk, browsers block it.";
    return;
  }
  status.textContent = "Searching\u2026";
  // A large site's index comes in parts (data-merge: their folders), merged into the main one.
  var merged = (script.getAttribute("data-merge") || "").split(" ").filter(Boolean);
  // Every index gives result URLs under the site's own path (a site may live in a subfolder).
  var options = { baseUrl: root.pathname };
  import(new URL("pagefind/pagefind.js", root).href).then(function (pagefind) {
    return pagefind.options(options).then(function () {
      return merged.reduce(function (done, folder) {
        return done.then(function () {
          return pagefind.mergeIndex(new URL(folder + "/", root).href, options);
        });
      }, Promise.resolve());
    }).then(function () {
      return pagefind.search(query);
    }).then(function (search) {
      return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }))
        .then(function (results) {
          status.textContent = search.results.length + " result" +
            (search.results.length === 1 ? "" : "s") + " for \u201c" + query + "\u201d";
          show(results);
        });
    });
  }).catch(function () {
    status.textContent = "Search is unavailable: the search index could not be loaded.";
  });
})();
