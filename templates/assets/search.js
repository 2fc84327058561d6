/* The handbook's search box (templates/overrides/partials/search.html). It asks Pagefind's index of this language
   (generator/search.py), which the browser fetches in chunks: the first search loads Pagefind's script, its
   WebAssembly and the chunks the words need, and each further query only the chunks it needs besides. Nothing
   comes from another site. Pagefind runs in the page's own thread (`noWorker`): one file fewer to fetch.
   Results show the title, the kind of page and a sentence with the words found marked; the facets narrow them.
   "/", "s" or "f" opens the box from anywhere on the page (Material's keys for its search); Escape closes it. */
(function () {
  "use strict";
  var dialog = document.getElementById("hb-search");
  var opener = document.querySelector(".hb-search-open");
  if (!dialog || !opener || typeof dialog.showModal !== "function") return;
  var words = JSON.parse(dialog.getAttribute("data-words"));
  var form = dialog.querySelector("form");
  var input = dialog.querySelector("input[type=search]");
  var status = dialog.querySelector(".hb-search__status");
  var list = dialog.querySelector(".hb-search__results");
  var more = dialog.querySelector(".hb-search__more");
  var facets = dialog.querySelector(".hb-search__facets");
  var selects = Array.prototype.slice.call(dialog.querySelectorAll("select[data-facet]"));
  var PAGE = 5;  // results shown at a time: each costs its page's fragment (a few KB)
  var loading = null, current = null, shown = 0, asked = 0;

  function pagefind() {
    if (!loading) {
      var script = new URL(dialog.getAttribute("data-pagefind"), location.href).href;
      var base = new URL(dialog.getAttribute("data-base"), location.href).pathname;
      var options = { baseUrl: base, excerptLength: 24 };
      loading = import(script).then(function (module) {
        return module.options({ baseUrl: base, noWorker: true, excerptLength: options.excerptLength }).then(function () {
          return module.init();
        }).then(function () {
          // a large site's index comes in parts (generator/search.py): each is merged into the main one
          return fetch(new URL("parts.json", script).href).then(function (response) {
            return response.ok ? response.json() : { parts: [] };
          }).then(function (found) {
            return Promise.all((found.parts || []).map(function (part) {
              return module.mergeIndex(new URL(part, script).pathname, options);
            }));
          });
        }).then(function () { return module; });
      });
      loading.catch(function () { loading = null; });  // a failed load is tried again by the next query
    }
    return loading;
  }

  function say(text, query, count) {
    status.textContent = text.replace("%(count)s", String(count)).replace("%(query)s", query);
  }

  function chosen() {
    var filters = {};
    selects.forEach(function (select) { if (select.value) filters[select.name] = select.value; });
    return filters;
  }

  function search() {
    var query = input.value.trim();
    var filters = chosen();
    var mine = ++asked;
    if (!query && !Object.keys(filters).length) {
      current = null; list.textContent = ""; more.hidden = true; status.textContent = "";
      list.removeAttribute("aria-busy");
      return;
    }
    if (!current) status.textContent = words.loading;
    list.setAttribute("aria-busy", "true");
    pagefind().then(function (module) {
      return module.search(query || null, { filters: filters });
    }).then(function (found) {
      if (mine !== asked) return;  // the reader typed on: a later query answers
      current = found; shown = 0; list.textContent = "";
      var count = found.results.length;
      if (!count) say(words.none, query, 0);
      else say((query ? words.found : words.matching)[count === 1 ? 0 : 1], query, count);
      return showMore(mine);
    }).catch(function () {
      if (mine === asked) status.textContent = words.failed;
    }).then(function () {
      if (mine !== asked) return;
      list.removeAttribute("aria-busy");
      list.setAttribute("data-query", query);  // what the results shown answer
    });
  }

  function showMore(mine) {
    var batch = current.results.slice(shown, shown + PAGE);
    shown += batch.length;
    more.hidden = true;
    return Promise.all(batch.map(function (result) { return result.data(); })).then(function (pages) {
      if (mine !== asked) return;
      pages.forEach(function (page) { list.appendChild(item(page)); });
      more.hidden = shown >= current.results.length;
    });
  }

  function item(page) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = page.url;
    link.className = "hb-search__title";
    link.textContent = page.meta.title || page.url;
    li.appendChild(link);
    if (page.meta.kind) {
      var kind = document.createElement("span");
      kind.className = "hb-search__kind";
      kind.textContent = page.meta.kind;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(kind);
    }
    li.appendChild(excerpt(page.excerpt));
    return li;
  }

  /* Pagefind's excerpt is the page's text, escaped, with <mark> around the words found: only those two are
     kept, as text and as <mark>, whatever the text says. */
  function excerpt(html) {
    var p = document.createElement("p");
    p.className = "hb-search__excerpt";
    var parsed = new DOMParser().parseFromString("<body>" + html, "text/html").body;
    Array.prototype.forEach.call(parsed.childNodes, function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(node.textContent));
      }
    });
    return p;
  }

  function fillFacets() {
    if (facets.getAttribute("data-filled")) return;
    facets.setAttribute("data-filled", "1");
    pagefind().then(function (module) { return module.filters(); }).then(function (all) {
      selects.forEach(function (select) {
        Object.keys(all[select.name] || {}).sort(function (a, b) { return a.localeCompare(b); })
          .forEach(function (value) {
            var option = document.createElement("option");
            option.value = option.textContent = value;
            select.appendChild(option);
          });
      });
    }).catch(function () { facets.removeAttribute("data-filled"); });
  }

  function open() {
    if (dialog.open) return;
    dialog.showModal();
    input.focus();
    input.select();
    pagefind().catch(function () {});  // start loading while the reader types
  }

  opener.addEventListener("click", open);
  dialog.querySelector(".hb-search__close").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("close", function () { opener.focus(); });
  dialog.addEventListener("click", function (event) {  // a click on the backdrop closes it
    if (event.target !== dialog) return;
    var box = dialog.getBoundingClientRect();
    var inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top &&
      event.clientY <= box.bottom;
    if (!inside) dialog.close();
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(typing); search(); });
  var typing = null;
  input.addEventListener("input", function () { clearTimeout(typing); typing = setTimeout(search, 200); });
  selects.forEach(function (select) { select.addEventListener("change", search); });
  facets.addEventListener("toggle", function () { if (facets.open) fillFacets(); });
  more.addEventListener("click", function () {
    var next = list.children.length;
    showMore(asked).then(function () {
      var link = list.children[next] && list.children[next].querySelector("a");
      if (link) link.focus();  // the keyboard goes on where the new results start
    });
  });
  document.addEventListener("keydown", function (event) {  // before Material's own shortcuts
    var target = event.target;
    var editing = target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
    if (["/", "s", "f"].indexOf(event.key) >= 0 && !editing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      event.stopPropagation();
      open();
    }
  }, true);
})();
