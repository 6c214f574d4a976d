/* @mention autocomplete in comment boxes (progressive enhancement: without this script, typing
   "@Name" in plain text works the same).
   Typing "@" and two or more letters asks /leden/namen?q= for up to 8 display names and shows
   them as a listbox under the text box. Arrow Up/Down choose, Enter or Tab insert "@Name ",
   Escape closes. The text box is a combobox (aria-expanded, aria-controls,
   aria-activedescendant) and a status line tells screen reader users how many names were found. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !window.fetch) {
    return;
  }
  var NAMES_URL = script.dataset.namesUrl;
  var TEXT = {
    label: script.dataset.label || "",
    none: script.dataset.none || "",
    one: script.dataset.countOne || "",
    many: script.dataset.countMany || ""
  };
  var SELECTOR = "form.comment-form textarea[name=body]";
  var counter = 0;

  /* The "@query" right before the caret, or null. A mention starts at the beginning or after a
     character that is not a letter, digit or . _ - + @ (so e-mail addresses do not count);
     the query may contain spaces (names do), but no line break and no second "@". */
  function currentQuery(textarea) {
    var caret = textarea.selectionStart;
    if (caret !== textarea.selectionEnd) {
      return null;
    }
    var before = textarea.value.slice(0, caret);
    var at = before.lastIndexOf("@");
    if (at < 0) {
      return null;
    }
    var prev = at > 0 ? before.charAt(at - 1) : "";
    if (prev && /[\w.+@-]/.test(prev)) {
      return null;
    }
    var query = before.slice(at + 1);
    if (query.length < 2 || query.length > 40 || /[\n@]/.test(query) || /^\s/.test(query)) {
      return null;
    }
    return { start: at, end: caret, text: query };
  }

  function setup(textarea) {
    if (textarea.dataset.mentions === "on") {
      return;
    }
    textarea.dataset.mentions = "on";
    counter += 1;
    var listId = "mention-list-" + counter;
    var wrap = document.createElement("div");
    wrap.className = "mention-wrap";
    textarea.parentNode.insertBefore(wrap, textarea);
    wrap.appendChild(textarea);

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", TEXT.label);
    list.hidden = true;
    wrap.appendChild(list);

    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    wrap.appendChild(status);

    textarea.setAttribute("role", "combobox");
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", listId);
    textarea.setAttribute("aria-expanded", "false");

    var names = [];
    var active = -1;
    var query = null;
    var timer = null;
    var lastAsked = "";
    var settled = -1; /* the "@" of the name just chosen: no more suggestions for it */

    function close() {
      list.hidden = true;
      list.textContent = "";
      names = [];
      active = -1;
      textarea.setAttribute("aria-expanded", "false");
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) {
        textarea.setAttribute("aria-activedescendant", listId + "-" + index);
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      if (!query || index < 0 || index >= names.length) {
        return;
      }
      var value = textarea.value;
      var insert = "@" + names[index] + " ";
      textarea.value = value.slice(0, query.start) + insert + value.slice(query.end);
      var caret = query.start + insert.length;
      settled = query.start;
      textarea.setSelectionRange(caret, caret);
      close();
      textarea.focus();
    }

    function show(found) {
      names = found;
      list.textContent = "";
      found.forEach(function (name, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = name;
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); /* keep the focus in the text box */
          choose(i);
        });
        list.appendChild(li);
      });
      if (found.length) {
        list.hidden = false;
        textarea.setAttribute("aria-expanded", "true");
        highlight(0);
        status.textContent = found.length === 1 ? TEXT.one : TEXT.many.replace("{n}", found.length);
      } else {
        close();
        status.textContent = TEXT.none;
      }
    }

    function ask() {
      query = currentQuery(textarea);
      if (!query || query.start === settled) {
        close();
        return;
      }
      if (query.text === lastAsked && !list.hidden) {
        return;
      }
      lastAsked = query.text;
      var asked = query.text;
      fetch(NAMES_URL + "?q=" + encodeURIComponent(asked), {
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.ok ? response.json() : { names: [] };
      }).then(function (data) {
        var now = currentQuery(textarea);
        if (now && now.text === asked) {
          query = now;
          show(data.names || []);
        }
      }).catch(close);
    }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });

    textarea.addEventListener("keydown", function (event) {
      if (list.hidden || !names.length) {
        return;
      }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % names.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active - 1 + names.length) % names.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        if (active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation(); /* do not also close the reply box */
        close();
      }
    });

    textarea.addEventListener("blur", function () {
      window.setTimeout(close, 100);
    });
  }

  function init() {
    document.querySelectorAll(SELECTOR).forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
