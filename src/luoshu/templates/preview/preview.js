/* luoshu serve: reload this page when what it shows has been rebuilt.
 *
 * Served only by the preview, added to its HTML pages as they are sent; never part of a
 * built EPUB. The server says which versions the page was made from (data-versions) and which
 * of them it shows (data-watch: "text" for the book's documents, "print" for the print pages);
 * twice a second the script asks for the current versions and reloads when one it watches has
 * moved on, keeping the reader's place on the page.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var seen = JSON.parse(script.getAttribute("data-versions"));
  var watched = script.getAttribute("data-watch").split(" ");
  var place = "luoshu-preview-place:" + location.pathname;

  var saved = sessionStorage.getItem(place);
  if (saved !== null) {
    sessionStorage.removeItem(place);
    var xy = JSON.parse(saved);
    window.addEventListener("load", function () { window.scrollTo(xy[0], xy[1]); });
  }

  function changed(now) {
    return watched.some(function (name) { return now[name] !== seen[name]; });
  }

  function poll() {
    fetch("/__luoshu/version", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (now) {
        if (changed(now)) {
          sessionStorage.setItem(place, JSON.stringify([window.scrollX, window.scrollY]));
          location.reload();
        } else {
          window.setTimeout(poll, 500);
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });  // server stopped: wait quietly
  }
  window.setTimeout(poll, 500);
})();
