// Small helpers for every page (no inline script anywhere: the CSP forbids it).
//  - input[data-filter="FORM_ID"]: hides the option buttons of that form that do not contain the text
//  - [data-copy="#selector"] / [data-copy-text="..."]: copies a field's value or the given text
(function () {
  "use strict";

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-filter]")) return;
    var form = document.getElementById(box.getAttribute("data-filter"));
    if (!form) return;
    var needle = box.value.trim();
    form.querySelectorAll("button.toggle, .toggles button").forEach(function (button) {
      button.hidden = needle !== "" && button.textContent.indexOf(needle) === -1;
    });
  });

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function say(button, message) {
    var scope = button.closest("form, li, section") || document;
    var status = scope.querySelector(".copy-status") || document.querySelector(".copy-status");
    if (status) status.textContent = message;
    var label = button.textContent;
    button.textContent = message;
    setTimeout(function () { button.textContent = label; }, 1500);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy], [data-copy-text]") : null;
    if (!button) return;
    event.preventDefault();
    var text = button.getAttribute("data-copy-text");
    var selector = button.getAttribute("data-copy");
    if (selector) {
      var field = document.querySelector(selector);
      text = field ? field.value : "";
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { say(button, "已复制"); },
        function () { say(button, fallbackCopy(text) ? "已复制" : "复制失败，请手动选择复制"); }
      );
    } else {
      say(button, fallbackCopy(text) ? "已复制" : "复制失败，请手动选择复制");
    }
  });
})();
