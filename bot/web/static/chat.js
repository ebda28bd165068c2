// The web chat without page reloads: every form marked data-chat is sent with fetch and the server
// answers with the conversation's HTML (rendered and escaped there), which replaces #conversation.
// Without this file the same forms post normally and the server redirects back to the page.
(function () {
  "use strict";
  var conv = document.getElementById("conversation");
  var input = document.getElementById("message");
  if (!conv || !window.fetch || !window.FormData) return;
  var busy = false;

  function setBusy(on) {
    busy = on;
    conv.setAttribute("aria-busy", on ? "true" : "false");
    document.querySelectorAll("form[data-chat] button").forEach(function (b) { b.disabled = on; });
  }

  function bubble(cls, text) {
    var list = conv.querySelector("ol.messages");
    if (!list) return null;
    var li = document.createElement("li");
    li.className = "msg " + cls;
    var div = document.createElement("div");
    div.className = "text";
    div.textContent = text;  // user text: never as HTML
    li.appendChild(div);
    list.appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function showError(message) {
    var old = document.getElementById("send-error");
    if (old) old.remove();
    var p = document.createElement("p");
    p.id = "send-error";
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    conv.appendChild(p);
  }

  function focusAfter(submitter) {
    var latest = document.getElementById("latest");
    if (submitter && submitter.name === "choice" && latest) {
      var same = Array.prototype.find.call(latest.querySelectorAll("button[name=choice]"), function (b) {
        return b.value === submitter.value;
      });
      var target = same || latest.querySelector("button[name=choice]");
      if (target) { target.focus({ preventScroll: true }); latest.scrollIntoView({ block: "nearest" }); return; }
    }
    if (latest) latest.scrollIntoView({ block: "start" });
    if (input) input.focus({ preventScroll: true });
  }

  function send(form, submitter) {
    if (busy) return;
    var data = submitter ? new FormData(form, submitter) : new FormData(form);
    var typed = form.id === "composer" ? (input.value || "").trim() : "";
    if (form.id === "composer" && !typed) { input.focus(); return; }
    if (typed) bubble("user", typed);
    var wait = bubble("bot pending", "正在查找政策原文……");
    setBusy(true);
    fetch(form.action, { method: "POST", body: data, headers: { "X-Requested-With": "fetch" },
                         credentials: "same-origin" })
      .then(function (res) {
        var type = res.headers.get("content-type") || "";
        if (type.indexOf("text/html") !== -1) {
          return res.text().then(function (html) {
            conv.innerHTML = html;  // server-rendered, escaped by the templates
            if (typed) input.value = "";
            focusAfter(submitter);
          });
        }
        return res.json().then(function (body) {
          if (wait) wait.remove();
          showError((body && body.error) || "发送失败，请稍后再试。");
        });
      })
      .catch(function () {
        if (wait) wait.remove();
        showError("网络连接出了问题，消息没有发出。请检查网络后重试。");
      })
      .then(function () { setBusy(false); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-chat]")) return;
    event.preventDefault();
    send(form, event.submitter);
  });

  if (input) {
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        document.getElementById("composer").requestSubmit();
      }
    });
  }
})();
