// docgen board: the open page follows changes (server-sent events) and fetches itself anew.
// Pages work without it; it never replaces a page while the person is writing in a form.
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-live");
  if (!url || !window.EventSource || !window.fetch) { return; }
  var note = document.getElementById("live-note");
  var busy = false;
  var again = false;

  function writing() {
    var active = document.activeElement;
    if (active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT" || active.tagName === "SELECT")) {
      return true;
    }
    var fields = document.querySelectorAll("#content textarea");
    for (var i = 0; i < fields.length; i++) { if (fields[i].value.trim()) { return true; } }
    return false;
  }

  function say(text, pending) {
    note.hidden = false;
    note.className = "live-note" + (pending ? " pending" : "");
    note.textContent = text;
  }

  function refresh(stamp) {
    if (busy) { again = true; return; }
    if (writing()) { say("Есть изменения — обновите страницу, когда закончите", true); return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("content");
        if (!fresh) { return; }
        var open = [];
        document.querySelectorAll("#content details").forEach(function (d, i) { open[i] = d.open; });
        document.getElementById("content").replaceWith(fresh);
        document.querySelectorAll("#content details").forEach(function (d, i) { if (i in open) { d.open = open[i]; } });
        body.setAttribute("data-stamp", page.body.getAttribute("data-stamp") || stamp);
        say("Обновлено " + new Date().toLocaleTimeString("ru-RU"), false);
      })
      .catch(function () { say("Не удалось обновить страницу", true); })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(stamp); }
      });
  }

  var source = new EventSource(url);
  source.addEventListener("change", function (event) {
    if (event.data !== body.getAttribute("data-stamp")) { refresh(event.data); }
  });
})();
