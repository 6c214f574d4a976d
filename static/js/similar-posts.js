/* "Does this exist already?" on the new-post form: while the author types a title (and body),
   fetch similar posts from /zoeken/vergelijkbaar and list them. Progressive enhancement: the
   form works without it (its "check for similar posts" button submits to the same URL).

   Markup it needs (templates/search/_similar_check.html, in the form):
     <form> ... <input name="title"> <textarea name="body">
       <section data-similar-results data-similar-url="/zoeken/vergelijkbaar" hidden>
         <h2>…</h2><ul></ul></section></form>
*/
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function setUp(box) {
    var url = box.getAttribute("data-similar-url");
    var form = box.closest("form");
    var title = form ? form.querySelector("[name=title]") : null;
    var body = form ? form.querySelector("[name=body]") : null;
    if (!url || !title) { return; }
    var list = box.querySelector("ul");
    var last = "";
    var controller = null;

    function render(items) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      items.forEach(function (item) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = item.url;
        a.textContent = item.title;  // text, never HTML
        li.appendChild(a);
        list.appendChild(li);
      });
      box.hidden = items.length === 0;
    }

    var check = debounce(function () {
      var query = "title=" + encodeURIComponent(title.value.slice(0, 300)) +
                  "&body=" + encodeURIComponent((body ? body.value : "").slice(0, 2000));
      if (query === last) { return; }
      last = query;
      if (title.value.trim().length < 4) { render([]); return; }
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      fetch(url + "?" + query, {headers: {"Accept": "application/json"},
                                credentials: "same-origin",
                                signal: controller ? controller.signal : undefined})
        .then(function (response) { return response.ok ? response.json() : {items: []}; })
        .then(function (data) { render(data.items || []); })
        .catch(function () { /* offline or aborted: keep what is shown */ });
    }, 600);

    title.addEventListener("input", check);
    if (body) { body.addEventListener("input", check); }
  }

  document.querySelectorAll("[data-similar-results][data-similar-url]").forEach(setUp);
}());
