// VersionVault diff pages: the n / p keys (and j / k) jump to the next / previous change.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var changes = Array.prototype.slice.call(document.querySelectorAll("[data-change]"));
  if (!changes.length) {
    return;
  }
  function fromHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    for (var i = 0; i < changes.length; i += 1) {
      if (changes[i].id === id) {
        return i;
      }
    }
    return -1;
  }

  function fromScroll(step) {
    var top = 8;
    if (step > 0) {
      for (var i = 0; i < changes.length; i += 1) {
        if (changes[i].getBoundingClientRect().top > top) {
          return i;
        }
      }
      return changes.length - 1;
    }
    for (var j = changes.length - 1; j >= 0; j -= 1) {
      if (changes[j].getBoundingClientRect().top < -top) {
        return j;
      }
    }
    return 0;
  }

  function go(step) {
    var here = changes.indexOf(document.activeElement);
    if (here < 0) {
      here = fromHash();
    }
    var next = here >= 0 ? here + step : fromScroll(step);
    next = Math.max(0, Math.min(changes.length - 1, next));
    var target = changes[next];
    location.replace("#" + target.id);
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
      return;
    }
    var target = event.target;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    if (event.key === "n" || event.key === "j") {
      event.preventDefault();
      go(1);
    } else if (event.key === "p" || event.key === "k") {
      event.preventDefault();
      go(-1);
    }
  });
})();
