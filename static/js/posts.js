// Shows how the typed tags will be saved (same rules as services.normalise_tag), while typing.
(function () {
  "use strict";
  var input = document.getElementById("tags");
  var preview = document.getElementById("tag-preview");
  if (!input || !preview) { return; }
  function normalise(raw) {
    var tag = raw.trim().toLowerCase().replace(/\s+/g, "-").replace(/-{2,}/g, "-");
    tag = tag.replace(/^[-#,]+|[-#,]+$/g, "");
    return tag.slice(0, 40).replace(/-+$/, "");
  }
  function update() {
    var seen = [];
    input.value.split(/[,;\n]/).forEach(function (part) {
      var tag = normalise(part);
      if (tag && seen.indexOf(tag) === -1) { seen.push(tag); }
    });
    preview.textContent = "";
    if (!seen.length) { return; }
    preview.appendChild(document.createTextNode(preview.getAttribute("data-label") + " "));
    seen.forEach(function (tag) {
      var span = document.createElement("span");
      span.className = "tag";
      span.textContent = tag;
      preview.appendChild(span);
      preview.appendChild(document.createTextNode(" "));
    });
  }
  input.addEventListener("input", update);
})();
