// Signing page: solve the server's proof-of-work challenge (ALTCHA's open protocol,
// SHA-256) with the browser's own Web Crypto, and put the solution in the form's
// hidden field. Nothing is sent anywhere but this site. Without this script (or
// without Web Crypto, which browsers give only to HTTPS pages and localhost) the
// form still works: the signature is then held for an organiser's review.
(function () {
  "use strict";
  var field = document.getElementById("pow-solution");
  if (!field || !window.fetch || !window.TextEncoder || !window.crypto || !window.crypto.subtle) {
    return;
  }
  var form = field.form;
  var url = field.getAttribute("data-challenge-url");
  var BATCH = 500; // digests in flight at once: fewer round trips through the event loop
  var MARGIN_MS = 60000; // a solution this close to its expiry is replaced before submitting
  var WAIT_MS = 15000; // the longest a submission waits for a solution
  var pending = null; // the promise of {payload, expires} (or null if it failed)
  var solved = null;
  var settled = false; // whether the latest attempt has finished, solved or not

  function fromHex(text) {
    var bytes = new Uint8Array(text.length / 2);
    for (var i = 0; i < bytes.length; i++) {
      bytes[i] = parseInt(text.substr(i * 2, 2), 16);
    }
    return bytes;
  }

  function same(buffer, target) {
    var bytes = new Uint8Array(buffer);
    for (var i = 0; i < target.length; i++) {
      if (bytes[i] !== target[i]) { return false; }
    }
    return true;
  }

  function expiresAt(salt) {
    var match = /[?&]expires=(\d+)/.exec(salt);
    return match ? parseInt(match[1], 10) * 1000 : 0;
  }

  async function solve(challenge) {
    var encoder = new TextEncoder();
    var target = fromHex(challenge.challenge);
    for (var start = 0; start <= challenge.maxnumber; start += BATCH) {
      var end = Math.min(start + BATCH, challenge.maxnumber + 1);
      var digests = [];
      for (var number = start; number < end; number++) {
        digests.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + number)));
      }
      var results = await Promise.all(digests);
      for (var i = 0; i < results.length; i++) {
        if (same(results[i], target)) { return start + i; }
      }
    }
    return null;
  }

  async function fetchAndSolve() {
    var response = await fetch(url, { credentials: "omit", cache: "no-store" });
    if (!response.ok) { return null; }
    var challenge = await response.json();
    var number = await solve(challenge);
    if (number === null) { return null; }
    var answer = {
      algorithm: challenge.algorithm,
      challenge: challenge.challenge,
      number: number,
      salt: challenge.salt,
      signature: challenge.signature
    };
    return { payload: btoa(JSON.stringify(answer)), expires: expiresAt(challenge.salt) };
  }

  function usable(solution) {
    return solution !== null && solution.expires - Date.now() > MARGIN_MS;
  }

  function obtain() {
    if (pending === null) {
      settled = false;
      pending = fetchAndSolve().catch(function () { return null; }).then(function (solution) {
        solved = solution;
        settled = true;
        field.value = solution ? solution.payload : "";
        return solution;
      });
    }
    return pending;
  }

  obtain();

  form.addEventListener("submit", function (event) {
    if (field.value && usable(solved)) { return; }
    event.preventDefault();
    if (settled && !usable(solved)) { pending = null; } // failed or expired: try again
    var timeout = new Promise(function (resolve) { setTimeout(resolve, WAIT_MS); });
    Promise.race([obtain(), timeout]).then(function () { form.submit(); });
  });
})();
