// Drag-and-drop ordering on the bundle edit page. Without JavaScript the "Move up" and
// "Move down" buttons do the same; this only sends the new order after a drop.
(function () {
  "use strict";
  var list = document.getElementById("bundle-edit-items");
  if (!list || !window.fetch) { return; }
  var url = list.getAttribute("data-reorder-url");
  var token = list.getAttribute("data-csrf");
  var dragged = null;
  list.classList.add("js-sortable");

  function items() { return Array.prototype.slice.call(list.children); }

  items().forEach(function (li) {
    li.setAttribute("draggable", "true");
    li.addEventListener("dragstart", function (event) {
      dragged = li;
      li.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.getAttribute("data-item-id"));
    });
    li.addEventListener("dragend", function () {
      li.classList.remove("dragging");
      items().forEach(function (other) { other.classList.remove("drop-target"); });
      dragged = null;
    });
    li.addEventListener("dragover", function (event) {
      if (!dragged || dragged === li) { return; }
      event.preventDefault();
      li.classList.add("drop-target");
    });
    li.addEventListener("dragleave", function () { li.classList.remove("drop-target"); });
    li.addEventListener("drop", function (event) {
      event.preventDefault();
      li.classList.remove("drop-target");
      if (!dragged || dragged === li) { return; }
      var all = items();
      if (all.indexOf(dragged) < all.indexOf(li)) {
        li.parentNode.insertBefore(dragged, li.nextSibling);
      } else {
        li.parentNode.insertBefore(dragged, li);
      }
      save();
    });
  });

  function save() {
    var order = items().map(function (li) { return li.getAttribute("data-item-id"); });
    var body = new URLSearchParams();
    body.set("csrf_token", token);
    body.set("order", order.join(","));
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      // Reload so the move buttons match the new order (and show the saved state).
      if (response.ok) { window.location.reload(); }
    });
  }
}());
