/* Copy buttons (progressive enhancement).
 *
 * A button `<button data-copy="FIELD-ID" data-status="STATUS-ID" data-copied="…" data-failed="…"
 * hidden>` copies the value of the read-only field FIELD-ID and says so in the live region
 * STATUS-ID. Without JavaScript the buttons stay hidden and the field can be selected and
 * copied by hand. No inline script: the page may forbid them (Content-Security-Policy).
 */
(function () {
  "use strict";

  function copyBySelection(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function copy(field) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value).catch(function () {
        if (!copyBySelection(field)) {
          throw new Error("copy refused");
        }
      });
    }
    return copyBySelection(field) ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function announce(status, text) {
    if (!status) {
      return;
    }
    // Emptying first makes screen readers announce the same message twice in a row.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-status"));
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(field).then(
        function () {
          announce(status, button.getAttribute("data-copied"));
        },
        function () {
          field.focus();
          field.select();
          announce(status, button.getAttribute("data-failed"));
        }
      );
    });
  });
})();
