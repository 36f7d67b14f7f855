// The @mention autocomplete of discussion threads: in a <textarea data-mentions="<url>">,
// typing "@" and the start of a name lists the organization's members that match (the
// url answers {"members": [{"username", "name"}]}); choosing one writes "@username ".
// Names are put in the page as text (textContent), never as HTML. Loaded with the page's
// CSP nonce by {% thread_scripts %}; the list's words come from this script's data-*.
(function () {
  "use strict";
  var script = document.currentScript;
  var words = {
    none: (script && script.getAttribute("data-none")) || "No member found",
    label: (script && script.getAttribute("data-label")) || "Members to mention",
  };
  var BEFORE = /(^|[^A-Za-z0-9_.+@-])@([^\s@]{1,50})$/;
  var state = null; // {area, list, items, active, start, timer}
  var counter = 0;

  function close() {
    if (!state) return;
    if (state.list.parentNode) state.list.parentNode.removeChild(state.list);
    state.area.removeAttribute("aria-activedescendant");
    state.area.removeAttribute("aria-controls");
    state = null;
  }

  function choose(index) {
    if (!state || !state.items[index]) return;
    var area = state.area;
    var caret = area.selectionStart;
    var insert = "@" + state.items[index].username + " ";
    area.value = area.value.slice(0, state.start) + insert + area.value.slice(caret);
    var at = state.start + insert.length;
    area.setSelectionRange(at, at);
    close();
    area.focus();
  }

  function highlight(index) {
    if (!state || !state.items.length) return;
    state.active = (index + state.items.length) % state.items.length;
    var options = state.list.querySelectorAll("[role=option]");
    for (var i = 0; i < options.length; i += 1) {
      var on = i === state.active;
      options[i].classList.toggle("active", on);
      options[i].setAttribute("aria-selected", on ? "true" : "false");
    }
    state.area.setAttribute("aria-activedescendant", options[state.active].id);
  }

  function show(area, start, members) {
    close();
    counter += 1;
    var list = document.createElement("ul");
    list.className = "list-group mention-list shadow-sm";
    list.id = "mention-list-" + counter;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", words.label);
    state = { area: area, list: list, items: members, active: -1, start: start };
    if (!members.length) {
      var empty = document.createElement("li");
      empty.className = "list-group-item small text-body-secondary";
      empty.setAttribute("role", "option");
      empty.setAttribute("aria-disabled", "true");
      empty.id = list.id + "-none";
      empty.textContent = words.none;
      list.appendChild(empty);
    }
    members.forEach(function (member, i) {
      var item = document.createElement("li");
      item.className = "list-group-item list-group-item-action small";
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.id = list.id + "-" + i;
      item.setAttribute("data-username", member.username);
      var name = document.createElement("span");
      name.textContent = member.name;
      var handle = document.createElement("span");
      // Plain text colour: a muted one fails the contrast on the highlighted option.
      handle.textContent = " @" + member.username;
      item.appendChild(name);
      item.appendChild(handle);
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the text area
        choose(i);
      });
      list.appendChild(item);
    });
    area.parentNode.appendChild(list);
    area.setAttribute("aria-controls", list.id);
    if (members.length) highlight(0);
  }

  function lookup(area) {
    var before = area.value.slice(0, area.selectionStart);
    var match = BEFORE.exec(before);
    if (!match) {
      close();
      return;
    }
    var prefix = match[2];
    var start = before.length - prefix.length - 1;
    var url = area.getAttribute("data-mentions") + "?q=" + encodeURIComponent(prefix);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : { members: [] };
      })
      .then(function (data) {
        // Still the same word under the caret: the answer is not stale.
        var now = BEFORE.exec(area.value.slice(0, area.selectionStart));
        if (document.activeElement === area && now && now[2] === prefix) {
          show(area, start, Array.isArray(data.members) ? data.members : []);
        }
      })
      .catch(close);
  }

  var timer = null;
  document.addEventListener("input", function (event) {
    var area = event.target;
    if (!(area instanceof HTMLTextAreaElement) || !area.hasAttribute("data-mentions")) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      lookup(area);
    }, 120);
  });
  document.addEventListener("keydown", function (event) {
    if (!state || event.target !== state.area) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      highlight(state.active + (event.key === "ArrowDown" ? 1 : -1));
    } else if ((event.key === "Enter" || event.key === "Tab") && state.active >= 0) {
      event.preventDefault();
      choose(state.active);
    } else if (event.key === "Escape") {
      close();
    }
  });
  document.addEventListener("focusout", function (event) {
    if (state && event.target === state.area) window.setTimeout(close, 150);
  });
})();
