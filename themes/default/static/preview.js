// Citation previews: hovering, focusing (keyboard) or tapping a citation marker opens a card
// with the source and the quoted passages in their sentences, cloned from the page's own
// <template id="preview-N"> (templates/preview.html): no request. The card is placed in the
// document right after the marker (so Tab goes from the marker into the card's links) but
// positioned out of the text's flow, below or above the marker, never over it: the text
// does not move. Escape or a tap outside closes it. A first tap on a marker opens its card;
// a second tap, a click or Enter follows the marker's link, as without JavaScript.
(function () {
  "use strict";
  var GAP = 6; // px between the marker and the card
  var MARGIN = 8; // px kept free at the viewport's edges
  var card = null; // the open card
  var marker = null; // the marker it belongs to
  var openTimer = 0;
  var closeTimer = 0;
  var pointer = ""; // the kind of the last pointer pressed: "mouse", "touch", "pen"
  var dismissed = null; // a marker whose card Escape closed, until focus leaves it

  function markerOf(node) {
    var link = node && node.closest ? node.closest("sup.cite a[aria-describedby]") : null;
    return link && template(link) ? link : null;
  }

  function template(link) {
    var ref = link.getAttribute("aria-describedby") || "";
    return document.getElementById(ref.replace(/^ref-/, "preview-"));
  }

  function inCard(node) {
    return !!(card && node && card.contains(node));
  }

  // The card's content: the source, and the passages this marker quotes (all of a merged
  // marker's; none for a marker citing the source as a whole).
  function build(link) {
    var number = link.textContent.trim();
    var box = document.createElement("div");
    box.className = "cite-card";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Preview of source " + number);
    box.appendChild(template(link).content.cloneNode(true));
    var wanted = (link.getAttribute("data-passages") || "").split(" ").filter(Boolean);
    var list = box.querySelector(".cite-card-quotes");
    if (list) {
      Array.prototype.slice.call(list.children).forEach(function (item) {
        if (wanted.indexOf(item.getAttribute("data-passage")) < 0) list.removeChild(item);
      });
      wanted.forEach(function (id) {
        var item = list.querySelector('[data-passage="' + id + '"]');
        if (item) list.appendChild(item); // in the marker's order
      });
      if (!list.children.length) list.parentNode.removeChild(list);
    }
    return box;
  }

  // Where an absolutely positioned box's (0, 0) is, in viewport coordinates.
  function origin(box) {
    var parent = box.offsetParent;
    if (!parent || (parent === document.body && getComputedStyle(parent).position === "static")) {
      return { x: -window.scrollX, y: -window.scrollY };
    }
    var rect = parent.getBoundingClientRect();
    return {
      x: rect.left + parent.clientLeft - parent.scrollLeft,
      y: rect.top + parent.clientTop - parent.scrollTop,
    };
  }

  // Below the marker if the card fits there (or fits nowhere), else above it; within the
  // viewport's width. Either way the card clears the marker's box.
  function place() {
    if (!card) return;
    var at = marker.getBoundingClientRect();
    var width = document.documentElement.clientWidth;
    var height = window.innerHeight;
    var box = card.getBoundingClientRect();
    var left = Math.max(MARGIN, Math.min(at.left, width - box.width - MARGIN));
    var below = height - at.bottom - GAP - MARGIN;
    var above = at.top - GAP - MARGIN;
    var top = box.height <= below || below >= above ? at.bottom + GAP : at.top - GAP - box.height;
    var zero = origin(card);
    card.style.left = left - zero.x + "px";
    card.style.top = top - zero.y + "px";
  }

  function open(link) {
    clearTimeout(closeTimer);
    if (marker === link) return;
    close(false);
    marker = link;
    card = build(link);
    // the marker's own tooltip would cover the card
    if (link.hasAttribute("title")) {
      link.setAttribute("data-title", link.getAttribute("title"));
      link.removeAttribute("title");
    }
    link.setAttribute("aria-expanded", "true");
    link.parentNode.insertBefore(card, link.nextSibling);
    place();
  }

  // refocus: focus in the card goes back to the marker (Escape)
  function close(refocus) {
    clearTimeout(openTimer);
    clearTimeout(closeTimer);
    if (!card) return;
    var box = card;
    var link = marker;
    card = null;
    marker = null;
    if (refocus && box.contains(document.activeElement)) link.focus({ preventScroll: true });
    box.parentNode.removeChild(box);
    if (link.hasAttribute("data-title")) {
      link.setAttribute("title", link.getAttribute("data-title"));
      link.removeAttribute("data-title");
    }
    link.setAttribute("aria-expanded", "false");
  }

  function closeSoon() {
    clearTimeout(openTimer);
    clearTimeout(closeTimer);
    closeTimer = setTimeout(function () {
      close(false);
    }, 300);
  }

  document.addEventListener("pointerover", function (event) {
    if (event.pointerType !== "mouse") return;
    var link = markerOf(event.target);
    if (link) {
      clearTimeout(openTimer);
      clearTimeout(closeTimer);
      openTimer = setTimeout(function () {
        open(link);
      }, 150);
    } else if (inCard(event.target)) {
      clearTimeout(closeTimer);
    }
  });

  document.addEventListener("pointerout", function (event) {
    if (event.pointerType !== "mouse" || !card) return;
    var to = event.relatedTarget;
    if (markerOf(event.target) || inCard(event.target)) {
      if (to !== marker && !inCard(to) && !inCard(document.activeElement)) closeSoon();
    }
  });

  document.addEventListener("pointerdown", function (event) {
    pointer = event.pointerType;
    if (card && !inCard(event.target) && markerOf(event.target) !== marker) close(false);
  });

  document.addEventListener("click", function (event) {
    var link = markerOf(event.target);
    if (!link) return;
    var kind = event.pointerType || pointer;
    if (kind === "touch" && marker !== link) {
      event.preventDefault(); // the first tap shows the card; the next one follows the link
      open(link);
    }
  });

  document.addEventListener("focusin", function (event) {
    var link = markerOf(event.target);
    if (link && link !== dismissed && link.matches(":focus-visible")) open(link);
  });

  document.addEventListener("focusout", function (event) {
    if (event.target === dismissed) dismissed = null;
    if (!card) return;
    var to = event.relatedTarget;
    if ((event.target === marker || inCard(event.target)) && to !== marker && !inCard(to)) {
      close(false);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && card) {
      dismissed = marker;
      close(true);
    }
  });

  window.addEventListener("resize", place);

  // Markers that open a card say so to assistive technology.
  Array.prototype.forEach.call(document.querySelectorAll("sup.cite a[aria-describedby]"), function (link) {
    if (template(link)) link.setAttribute("aria-expanded", "false");
  });
})();
