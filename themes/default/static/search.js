// Briefing search page: runs Pagefind in the browser. The index lives in <site>/pagefind/
// (and, on a large site, in the parts listed in data-merge). Results can be narrowed by
// kind, outlet, tag and year (checkboxes in the form, so a narrowed search is an address
// like any other); each result lists its best sections (a heading, or a quoted passage of
// a source) and links to them with ?highlight=, so the page opens there with the words
// searched for marked (static/highlight.js).
(function () {
  "use strict";
  var script = document.currentScript;
  var root = new URL(script.getAttribute("data-root") || "./", location.href);
  var input = document.getElementById("search-page-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var filterBox = document.getElementById("search-filters");
  var params = new URLSearchParams(location.search);
  var query = (params.get("q") || "").trim();
  var FILTERS = [["kind", "Kind"], ["outlet", "Outlet"], ["tag", "Tag"], ["year", "Year"]];
  var chosen = {};
  FILTERS.forEach(function (f) { chosen[f[0]] = params.getAll(f[0]); });
  var narrowed = FILTERS.some(function (f) { return chosen[f[0]].length > 0; });
  var MAX_SECTIONS = 3;
  var EXCERPT_WORDS = 30;
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

  // What the page marks: each quoted phrase whole, and every other word.
  function highlightTerms(text) {
    var terms = [];
    var rest = text.replace(/"([^"]+)"/g, function (_, phrase) {
      if (phrase.trim()) { terms.push(phrase.trim()); }
      return " ";
    });
    rest.split(/\s+/).forEach(function (word) { if (word) { terms.push(word); } });
    return terms;
  }

  function resultUrl(url, anchor) {
    var address = new URL(url, root);
    highlightTerms(query).forEach(function (term) {
      address.searchParams.append("highlight", term);
    });
    if (anchor) { address.hash = anchor; }
    return address.href;
  }

  // The sections of a page the matches fall in: the quoted passage holding a match (a
  // <mark id="q-..."> and its words), else the heading with an id before it.
  function sections(data) {
    var anchors = (data.anchors || []).filter(function (a) {
      return a.id && (/^h[1-6]$/i.test(a.element) || (a.element === "mark" && /^q-/.test(a.id)));
    }).sort(function (a, b) { return a.location - b.location; });
    var found = {};
    var order = [];
    (data.locations || []).forEach(function (location) {
      var heading = null;
      var passage = null;
      anchors.forEach(function (a) {
        if (a.location > location) { return; }
        if (a.element.toLowerCase() !== "mark") { heading = a; return; }
        var length = (a.text || "").split(/\s+/).filter(Boolean).length;
        if (location < a.location + length) { passage = a; }
      });
      var anchor = passage || heading;
      if (!anchor) { return; }
      if (!found[anchor.id]) {
        found[anchor.id] = { anchor: anchor, passage: !!passage, locations: [] };
        order.push(found[anchor.id]);
      }
      found[anchor.id].locations.push(location);
    });
    return order.sort(function (a, b) {
      return (b.passage - a.passage) || (b.locations.length - a.locations.length) ||
        (a.anchor.location - b.anchor.location);
    }).slice(0, MAX_SECTIONS);
  }

  // A few words of the page around a section's first match, the matches marked.
  function sectionExcerpt(content, locations) {
    var words = content.split(/[\r\n\s]+/g);
    var start = Math.max(0, locations[0] - 8);
    var out = document.createElement("p");
    for (var i = start; i < Math.min(words.length, start + EXCERPT_WORDS); i++) {
      if (locations.indexOf(i) >= 0) {
        var mark = document.createElement("mark");
        mark.textContent = words[i];
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(words[i]));
      }
      out.appendChild(document.createTextNode(" "));
    }
    return out;
  }

  function sectionItem(data, section, title) {
    var item = document.createElement("li");
    var link = document.createElement("a");
    var text = (section.anchor.text || "").trim().split(/\s+/);
    link.href = resultUrl(data.url, section.anchor.id);
    link.textContent = section.passage
      ? "Quoted passage: \u201c" + text.slice(0, 8).join(" ") + (text.length > 8 ? "\u2026" : "") + "\u201d"
      : text.join(" ");
    // Pages share headings ("Timeline"): the name says whose section it is.
    link.setAttribute("aria-label", link.textContent + ", in " + title);
    item.appendChild(link);
    item.appendChild(sectionExcerpt(data.content || "", section.locations));
    return item;
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (data) {
      var item = document.createElement("li");
      var kind = document.createElement("span");
      kind.className = "kind kind-result";
      kind.textContent = (data.meta && data.meta.kind) || "Page";
      var link = document.createElement("a");
      link.href = resultUrl(data.url, "");
      link.textContent = (data.meta && data.meta.title) || data.url;
      // A topic and a tag may share a title: their links' names say which is which.
      link.setAttribute("aria-label", kind.textContent + ": " + link.textContent);
      var heading = document.createElement("h2");
      heading.appendChild(kind);
      heading.appendChild(document.createTextNode(" "));
      heading.appendChild(link);
      item.appendChild(heading);
      item.appendChild(excerpt(data.excerpt || ""));
      var found = query ? sections(data) : [];
      if (found.length) {
        var sub = document.createElement("ul");
        sub.className = "sub-results";
        sub.setAttribute("aria-label", "Where in " + link.textContent);
        found.forEach(function (section) {
          sub.appendChild(sectionItem(data, section, link.textContent));
        });
        item.appendChild(sub);
      }
      list.appendChild(item);
    });
  }

  // One group of checkboxes per filter, each value with how many pages have it; choosing
  // one searches again (the form is sent, so the address says what is chosen).
  function showFilters(available) {
    filterBox.textContent = "";
    FILTERS.forEach(function (f) {
      var counts = available[f[0]] || {};
      var values = Object.keys(counts).filter(function (v) {
        return counts[v] > 0 || chosen[f[0]].indexOf(v) >= 0;
      });
      if (!values.length) { return; }
      values.sort(f[0] === "year"
        ? function (a, b) { return b.localeCompare(a); }
        : function (a, b) { return (counts[b] - counts[a]) || a.localeCompare(b); });
      var group = document.createElement("details");
      group.className = "search-filter";
      group.open = chosen[f[0]].length > 0 || f[0] === "kind";
      var summary = document.createElement("summary");
      summary.textContent = f[1] + (chosen[f[0]].length ? " (" + chosen[f[0]].length + " chosen)" : "");
      var fieldset = document.createElement("fieldset");
      var legend = document.createElement("legend");
      legend.className = "visually-hidden";
      legend.textContent = f[1];
      fieldset.appendChild(legend);
      values.forEach(function (value) {
        var label = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.name = f[0];
        box.value = value;
        box.checked = chosen[f[0]].indexOf(value) >= 0;
        box.addEventListener("change", function () { input.form.submit(); });
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + value + " "));
        var count = document.createElement("span");
        count.className = "count";
        count.textContent = "(" + counts[value] + ")";
        label.appendChild(count);
        fieldset.appendChild(label);
      });
      group.appendChild(summary);
      group.appendChild(fieldset);
      filterBox.appendChild(group);
    });
  }

  // Within a filter any chosen value will do; across filters, all must hold.
  function filterSpec() {
    var spec = {};
    FILTERS.forEach(function (f) {
      if (chosen[f[0]].length) { spec[f[0]] = { any: chosen[f[0]] }; }
    });
    return spec;
  }

  if (location.protocol === "file:") {
    if (query || narrowed) {
      status.textContent = "Search needs the site to be served over HTTP " +
        "(for example: python -m http.server -d output). Opened from disk, browsers block it.";
    }
    return;
  }
  if (query || narrowed) { status.textContent = "Searching\u2026"; }
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
      return pagefind.filters();
    }).then(function (available) {
      showFilters(available);
      if (!query && !narrowed) { return null; }
      return pagefind.search(query || null, { filters: filterSpec() });
    }).then(function (search) {
      if (!search) { return; }
      return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }))
        .then(function (results) {
          var count = search.results.length + " result" + (search.results.length === 1 ? "" : "s");
          status.textContent = query ? count + " for \u201c" + query + "\u201d" : count;
          if (narrowed) { status.textContent += " (narrowed by the filters chosen)"; }
          show(results);
        });
    });
  }).catch(function () {
    status.textContent = "Search is unavailable: the search index could not be loaded.";
  });
})();
