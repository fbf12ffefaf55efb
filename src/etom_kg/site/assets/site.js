/* etom-kg site: language switch, topic search on the map, SPARQL form.
   Loaded in <head> so the chosen language applies before the page is drawn.
   No network access: the topic index is embedded in the page at build time. */
(function () {
  "use strict";

  var STORAGE_KEY = "etom-kg-lang";
  var LANGS = ["en", "es"];

  function storedLang() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      return null; // storage disabled (private mode, file:// policies)
    }
  }

  function initialLang() {
    var stored = storedLang();
    if (LANGS.indexOf(stored) >= 0) return stored;
    var nav = (navigator.language || "en").toLowerCase();
    return nav.indexOf("es") === 0 ? "es" : "en";
  }

  var currentLang = initialLang();

  function applyLangToDocument(lang) {
    var html = document.documentElement;
    html.setAttribute("lang", lang);
    html.setAttribute("data-lang", lang);
  }

  function applyLangToBody(lang) {
    var body = document.body;
    var title = body.getAttribute("data-title-" + lang);
    if (title) document.title = title;
    var buttons = document.querySelectorAll("[data-set-lang]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-set-lang") === lang));
    }
    var placeholders = document.querySelectorAll("[data-placeholder-" + lang + "]");
    for (var j = 0; j < placeholders.length; j++) {
      placeholders[j].setAttribute("placeholder", placeholders[j].getAttribute("data-placeholder-" + lang));
    }
  }

  function setLang(lang, remember) {
    if (LANGS.indexOf(lang) < 0) return;
    currentLang = lang;
    applyLangToDocument(lang);
    if (document.body) applyLangToBody(lang);
    if (remember) {
      try {
        window.localStorage.setItem(STORAGE_KEY, lang);
      } catch (e) {
        /* the choice then lasts for this page only */
      }
    }
  }

  applyLangToDocument(currentLang);

  /* ------------------------------------------------------------------ helpers */

  function bilingual(text, tag) {
    // text: {en: "...", es: "..."}; both spans, the stylesheet shows the current one
    var frag = document.createDocumentFragment();
    LANGS.forEach(function (lang) {
      var span = document.createElement(tag || "span");
      span.className = "l";
      span.setAttribute("lang", lang);
      span.textContent = text[lang] || text.en;
      frag.appendChild(span);
    });
    return frag;
  }

  /* Exactly etom_kg.text.fold, which wrote the search keys of the index: compatibility
     decomposition, accents dropped, case folded, punctuation to single spaces, dots kept
     inside identifiers (1.1.1.6). */
  function normaliseTopic(text) {
    return String(text)
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/(\d)\.(?=\d)/g, "$10DOT0")
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .replace(/0DOT0/g, ".")
      .trim()
      .replace(/ +/g, " ");
  }

  /* Edit distance, for typos: the closest key within 1 (short words) or 2 edits. */
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var prev = [], cur, i, j;
    for (j = 0; j <= b.length; j++) prev[j] = j;
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (cur[j] < best) best = cur[j];
      }
      if (best > limit) return limit + 1;
      prev = cur;
    }
    return prev[b.length];
  }
  /* Word overlap: the names that use every word typed (stop words aside), as the
     resolver's overlap tier does ("usage" finds usage mediation, usage records ...). */
  function byWords(key) {
    var index = window.etomKgIndex;
    var stop = {};
    (index.stop || []).forEach(function (w) { stop[w] = true; });
    var words = key.split(" ").filter(function (w) { return w && !stop[w]; });
    if (!words.length) return [];
    var found = {};
    Object.keys(index.topics).forEach(function (k) {
      var padded = " " + k + " ";
      if (words.every(function (w) { return padded.indexOf(" " + w + " ") >= 0; })) {
        index.topics[k].forEach(function (slug) { found[slug] = true; });
      }
    });
    return Object.keys(index.processes).filter(function (slug) { return found[slug]; });
  }

  function closestKey(keys, key) {
    var limit = key.length <= 5 ? 1 : 2, found = null, bestDistance = limit + 1;
    keys.forEach(function (k) {
      var d = distance(key, k, limit);
      if (d < bestDistance || (d === bestDistance && found !== null && k < found)) {
        bestDistance = d;
        found = k;
      }
    });
    return bestDistance <= limit ? found : null;
  }
  window.etomKgNormaliseTopic = normaliseTopic;

  /* ------------------------------------------------------------------ the map */

  function initMap() {
    var dataElement = document.getElementById("topic-index");
    if (!dataElement) return;
    var index = JSON.parse(dataElement.textContent);
    window.etomKgIndex = index;
    var form = document.querySelector(".topic-search");
    var input = document.getElementById("topic");
    var status = document.getElementById("search-status");
    var results = document.getElementById("search-results");
    var resultList = results.querySelector("ol");

    function clearHighlights() {
      var marked = document.querySelectorAll(".match, .contains-match");
      for (var i = 0; i < marked.length; i++) {
        marked[i].classList.remove("match", "contains-match");
      }
      document.body.classList.remove("searching");
    }

    function mark(slug, cls) {
      var elements = document.querySelectorAll('#map [data-process="' + slug + '"]');
      for (var i = 0; i < elements.length; i++) elements[i].classList.add(cls);
    }

    function search(raw) {
      clearHighlights();
      status.textContent = "";
      resultList.textContent = "";
      results.hidden = true;
      var key = normaliseTopic(raw);
      if (!key) return [];
      var slugs = index.topics[key];
      if (!slugs && key.length >= 4) {
        var near = closestKey(Object.keys(index.topics), key);
        slugs = near ? index.topics[near] : null;
      }
      if (!slugs) slugs = byWords(key);
      document.body.classList.add("searching");
      slugs.forEach(function (slug) {
        mark(slug, "match");
      });
      slugs.forEach(function (slug) {
        var info = index.processes[slug];
        (info ? info.ancestors : []).forEach(function (ancestor) {
          if (slugs.indexOf(ancestor) < 0) mark(ancestor, "contains-match");
        });
      });
      showStatus(key, slugs);
      return slugs;
    }

    function showStatus(key, slugs) {
      var p = document.createElement("p");
      if (slugs.length) {
        var count = document.createElement("strong");
        count.textContent = String(slugs.length) + " ";
        p.appendChild(count);
        p.appendChild(bilingual(index.ui[slugs.length === 1 ? "search_found_one" : "search_found"]));  // D6: "1 process"
        status.appendChild(p);
        slugs.forEach(function (slug) {
          var info = index.processes[slug];
          if (!info) return;
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = info.href;
          a.setAttribute("data-process", slug);
          if (info.id) {
            var id = document.createElement("span");
            id.className = "pid";
            id.textContent = info.id;
            a.appendChild(id);
            a.appendChild(document.createTextNode(" "));
          }
          a.appendChild(bilingual(info));
          li.appendChild(a);
          resultList.appendChild(li);
        });
        results.hidden = false;
      } else {
        p.appendChild(bilingual(index.ui.search_none));
        status.appendChild(p);
        var similar = Object.keys(index.topics).filter(function (k) {
          return k.indexOf(key) >= 0 || (key.length > 3 && key.indexOf(k) >= 0);
        }).slice(0, 8);
        if (similar.length) {
          var hint = document.createElement("p");
          hint.appendChild(bilingual(index.ui.search_suggest));
          similar.forEach(function (k) {
            var b = document.createElement("button");
            b.type = "button";
            b.className = "suggestion";
            b.textContent = index.names[k] || k;
            b.addEventListener("click", function () {
              input.value = b.textContent;
              run();
            });
            hint.appendChild(document.createTextNode(" "));
            hint.appendChild(b);
          });
          status.appendChild(hint);
        }
      }
    }

    function run() {
      search(input.value);
      var topic = input.value.trim();
      if (window.history && window.history.replaceState) {
        // the search is linkable (#topic=...) without adding a history entry per search
        var url = topic ? "#topic=" + encodeURIComponent(topic) : window.location.pathname + window.location.search;
        window.history.replaceState(null, "", url);
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      run();
    });
    form.addEventListener("reset", function () {
      window.setTimeout(run, 0);
    });

    function fromHash() {
      var hash = window.location.hash.replace(/^#/, "");
      if (hash.indexOf("topic=") === 0) {
        input.value = decodeURIComponent(hash.slice(6));
        search(input.value);
      } else if (hash.indexOf("process=") === 0) {
        var slug = decodeURIComponent(hash.slice(8));
        var box = document.querySelector('#map [data-process="' + slug + '"]');
        if (box) {
          box.classList.add("flash");
          box.focus();
        }
      }
    }
    fromHash();
    window.addEventListener("hashchange", fromHash);
    window.etomKgSearch = search;
  }

  /* ------------------------------------------------------------------ ask box */

  /* The question goes to /ask of etom-kg serve, which chooses a stored query as
     `etom-kg ask` does and answers with the query id and its SPARQL JSON results. */
  function initAsk() {
    var form = document.getElementById("ask-form");
    if (!form) return;
    var out = document.getElementById("ask-result");
    if (window.location.protocol === "file:") {
      document.getElementById("ask-offline").hidden = false;
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var question = document.getElementById("ask-question").value;
      out.textContent = "…";
      fetch(form.getAttribute("action") + "?q=" + encodeURIComponent(question), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          out.textContent = "";
          var p = document.createElement("p");
          if (answer.error) {
            p.className = "error";
            p.textContent = answer.error;
            out.appendChild(p);
            return;
          }
          var code = document.createElement("code");
          code.textContent = answer.query;
          p.appendChild(code);
          Object.keys(answer.params).sort().forEach(function (name) {
            p.appendChild(document.createTextNode(" " + name + "=" + answer.params[name]));
          });
          out.appendChild(p);
          out.appendChild(resultTable(answer.results));
        })
        .catch(function (error) { out.textContent = String(error); });
    });
  }

  /* ------------------------------------------------------------------ SPARQL page */

  function initSparql() {
    var form = document.getElementById("sparql-form");
    if (!form) return;
    var out = document.getElementById("sparql-result");
    if (window.location.protocol === "file:") {
      document.getElementById("sparql-offline").hidden = false;
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      out.textContent = "…";
      var body = new URLSearchParams();
      body.set("query", document.getElementById("sparql-query").value);
      fetch(form.getAttribute("action"), {
        method: "POST",
        headers: { Accept: "application/sparql-results+json" },
        body: body
      })
        .then(function (response) {
          return response.text().then(function (text) {
            return { ok: response.ok, status: response.status, text: text };
          });
        })
        .then(function (answer) {
          out.textContent = "";
          if (!answer.ok) {
            var err = document.createElement("pre");
            err.className = "error";
            err.textContent = answer.status + " " + answer.text;
            out.appendChild(err);
            return;
          }
          out.appendChild(resultTable(JSON.parse(answer.text)));
        })
        .catch(function (error) {
          out.textContent = String(error);
        });
    });
  }

  function resultTable(json) {
    if (typeof json.boolean === "boolean") {
      var p = document.createElement("p");
      p.textContent = String(json.boolean);
      return p;
    }
    var table = document.createElement("table");
    var head = table.createTHead().insertRow();
    json.head.vars.forEach(function (v) {
      var th = document.createElement("th");
      th.textContent = v;
      head.appendChild(th);
    });
    var body = table.createTBody();
    json.results.bindings.forEach(function (binding) {
      var row = body.insertRow();
      json.head.vars.forEach(function (v) {
        row.insertCell().textContent = binding[v] ? binding[v].value : "";
      });
    });
    return table;
  }

  /* ------------------------------------------------------------------ start */

  document.addEventListener("DOMContentLoaded", function () {
    applyLangToBody(currentLang);
    var buttons = document.querySelectorAll("[data-set-lang]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function (event) {
        setLang(event.currentTarget.getAttribute("data-set-lang"), true);
      });
    }
    initMap();
    initSparql();
    initAsk();
  });
})();
