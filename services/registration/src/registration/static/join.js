// The join page's live username check: a progressive enhancement. The form works without
// it (the server judges every field on submit); with it, a pause in typing asks
// GET /v1/usernames/{name}/availability and says "available" or "taken" (or why the name
// is invalid) in #username-status. Served by the service itself: the page's CSP allows
// scripts from 'self' only, and nothing inline.
"use strict";

(function () {
  var PAUSE_MS = 300; // one check per pause in typing, not one per key
  var input = document.getElementById("username");
  var status = document.getElementById("username-status");
  var token = document.querySelector('input[name="token"]');
  if (!input || !status || !token || !window.fetch) {
    return; // no username field (the username is the email), or an old browser
  }
  var timer = null;
  var pending = null;

  function say(text, kind) {
    status.textContent = text;
    if (kind) {
      status.setAttribute("data-status", kind);
    } else {
      status.removeAttribute("data-status");
    }
  }

  function check() {
    var name = input.value.trim();
    if (pending) {
      pending.abort(); // an answer for an older name must not overwrite a newer one
    }
    if (!name) {
      say("", null);
      return;
    }
    pending = new AbortController();
    var url = "/v1/usernames/" + encodeURIComponent(name) + "/availability?token=" +
      encodeURIComponent(token.value);
    fetch(url, { signal: pending.signal, credentials: "omit", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("no answer"); // rate limited or a dead link: say nothing
        }
        return response.json();
      })
      .then(function (answer) {
        if (answer.status === "invalid") {
          say(answer.reason || "invalid", "invalid");
        } else {
          say(answer.status, answer.status); // "available" or "taken"
        }
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          say("", null);
        }
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, PAUSE_MS);
  });
  if (input.value.trim() && !document.getElementById("username-error")) {
    check(); // a name kept from a refused submission (unless the server said why already)
  }
})();
