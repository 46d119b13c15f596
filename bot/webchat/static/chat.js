/* The web chat's own small script (no framework): it posts the page's forms without a
   reload, keeps the newest message in view and shows upload progress. Without it every
   form still works as a plain post; the server answers this script with JSON (the new
   bubbles and the next controls, as HTML rendered by the server's templates). */
(function () {
  "use strict";
  var log = document.getElementById("transcript");
  var controls = document.getElementById("controls");
  if (!log || !controls || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var words = controls.dataset;
  var sending = false;

  function latest() {
    var last = log.lastElementChild;
    if (last && last.scrollIntoView) {
      last.scrollIntoView({ block: "start" });
    }
    window.scrollTo(0, document.documentElement.scrollHeight);
  }

  function note(text) {
    var item = document.createElement("li");
    item.className = "bubble bot";
    var para = document.createElement("p");
    para.textContent = text;
    item.appendChild(para);
    log.appendChild(item);
    latest();
  }

  function setBusy(form, busy) {
    var buttons = controls.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].disabled = busy;
    }
    controls.setAttribute("aria-busy", busy ? "true" : "false");
    sending = busy;
  }

  function apply(body, hadFocus) {
    if (news) {
      news.hidden = true;
    }
    log.insertAdjacentHTML("beforeend", body.bubbles);
    controls.innerHTML = body.controls;
    document.title = body.title;
    latest();
    if (hadFocus) {
      var next = controls.querySelector(".choices button, textarea, button");
      if (next) {
        next.focus({ preventScroll: true });
      }
    }
  }

  function send(form, data) {
    var hadFocus = controls.contains(document.activeElement);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.setRequestHeader("X-Chat-Script", "1");
    var progress = form.querySelector("progress");
    var said = form.querySelector(".progress");
    if (progress) {
      progress.hidden = false;
      progress.value = 0;
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) {
          var percent = Math.round((100 * event.loaded) / event.total);
          progress.value = percent;
          if (said) {
            said.textContent = (words.uploading || "").replace("{percent}", String(percent));
          }
        }
      };
    } else if (said) {
      said.textContent = words.sending || "";
    }
    xhr.onload = function () {
      setBusy(form, false);
      var body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (ignored) {
        body = null;
      }
      if (body && typeof body.bubbles === "string") {
        apply(body, hadFocus);
      } else {
        if (progress) {
          progress.hidden = true;
        }
        note(xhr.status >= 400 && xhr.responseText.length < 500 ? xhr.responseText : words.failed);
      }
    };
    xhr.onerror = function () {
      setBusy(form, false);
      if (progress) {
        progress.hidden = true;
      }
      note(words.failed || "");
    };
    setBusy(form, true);
    // A form without files goes urlencoded, as the browser itself would send it: the
    // server reads that far cheaper than multipart, which only the files form needs.
    if (form.enctype === "multipart/form-data") {
      xhr.send(data);
    } else {
      xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
      xhr.send(new URLSearchParams(data).toString());
    }
  }

  var news = document.getElementById("news");

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !(controls.contains(form) || form === news)) {
      return;
    }
    event.preventDefault();
    if (sending) {
      return;
    }
    var data = new FormData(form);
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    send(form, data);
  });

  // Enter sends a typed answer; Shift+Enter makes a new line.
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) {
      return;
    }
    if (box instanceof HTMLTextAreaElement && controls.contains(box) && box.form) {
      event.preventDefault();
      if (box.value.trim()) {
        box.form.requestSubmit();
      }
    }
  });

  // News from staff and the review wait in a mailbox: ask now and then how many, put
  // the count in the title and offer a button that shows them (each once).
  function poll() {
    if (document.hidden || sending || !news) {
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/news");
    xhr.onload = function () {
      var body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (ignored) {
        return;
      }
      var count = body && body.unread;
      var button = news.querySelector("button");
      var title = document.title.replace(/^\(\d+\) /, "");
      if (count > 0) {
        button.textContent = (button.dataset.label || "").replace("{count}", String(count));
        news.hidden = false;
        document.title = "(" + count + ") " + title;
      }
    };
    xhr.send();
  }
  window.setInterval(poll, 20000);
  document.addEventListener("visibilitychange", poll);

  latest();
})();
