// Briefing: "Copy" buttons for the citation, BibTeX and CSL-JSON of "Cite this page".
// Without JavaScript the texts are there to select; the buttons are an extra.
(function () {
  "use strict";
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Pages opened from disk: the older way, through a selection.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.querySelectorAll(".cite-this [data-copy-label]").forEach(function (block) {
    var button = document.createElement("button");
    var label = block.getAttribute("data-copy-label");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy " + label;
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      copyText(block.textContent.trim()).then(function () {
        status.textContent = "Copied.";
      }, function () {
        status.textContent = "Copying was refused: select the text and copy it.";
      });
    });
    var row = document.createElement("p");
    row.className = "copy-row";
    row.appendChild(button);
    row.appendChild(status);
    block.insertAdjacentElement("afterend", row);
  });
})();
