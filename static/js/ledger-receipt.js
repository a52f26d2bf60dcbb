// Checks a signer's ledger receipt in the browser, trusting nothing but the public key
// printed on the page (and, for the careful, compared with the ledger page or a copy kept
// elsewhere). Progressive enhancement: without JavaScript the receipt explains how to check
// it by hand with tools/verify_ledger.py.
//
// Steps (docs/ledger.md): recompute the commitment from the secret salt and the signature's
// reference; fetch the receipt (entries carrying the commitment, with inclusion proofs in the
// latest signed tree head); rebuild each entry's leaf, walk its proof up to the root
// (RFC 9162, section 2.1.3.2); rebuild the signed text of the head and check its Ed25519
// signature with WebCrypto.
(function () {
  "use strict";

  var COMMITMENT_DOMAIN = "sii-ledger/commitment/v1";
  var HEADER = "sii-ledger/v1";

  function hexToBytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }

  function bytesToHex(bytes) {
    return Array.prototype.map
      .call(new Uint8Array(bytes), function (b) { return ("0" + b.toString(16)).slice(-2); })
      .join("");
  }

  function concat(parts) {
    var length = parts.reduce(function (n, p) { return n + p.length; }, 0);
    var out = new Uint8Array(length);
    var offset = 0;
    parts.forEach(function (p) { out.set(p, offset); offset += p.length; });
    return out;
  }

  function ascii(text) { return new TextEncoder().encode(text); }

  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }

  function nodeHash(left, right) { return sha256(concat([Uint8Array.of(1), left, right])); }

  // The entry exactly as the tree hashed it: keys sorted, no spaces.
  function leafBytes(entry) {
    return ascii(JSON.stringify({
      campaign: entry.campaign,
      commitment: entry.commitment,
      index: entry.index,
      kind: entry.kind,
      reason: entry.reason,
      time: entry.time
    }));
  }

  // RFC 9162, section 2.1.3.2.
  async function rootFromPath(index, size, leaf, path) {
    if (index >= size) return null;
    var fn = index, sn = size - 1, r = leaf;
    for (var i = 0; i < path.length; i++) {
      var p = hexToBytes(path[i]);
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  function headText(head) {
    return HEADER + "\ncampaign " + head.campaign + "\nsize " + head.size + "\nroot " +
      head.root_hash + "\ntime " + head.timestamp + "\n";
  }

  async function signatureHolds(publicKeyHex, head) {
    var key = await crypto.subtle.importKey(
      "raw", hexToBytes(publicKeyHex), { name: "Ed25519" }, false, ["verify"]);
    var signature = Uint8Array.from(atob(head.signature), function (c) { return c.charCodeAt(0); });
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, ascii(headText(head)));
  }

  function say(box, name, values) {
    var status = box.querySelector("[data-receipt-status]");
    var text = box.getAttribute("data-msg-" + name) || name;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    status.textContent = text;
    status.setAttribute("data-result", name);
  }

  async function check(box) {
    var d = box.dataset;
    say(box, "checking");
    var mine = bytesToHex(await sha256(concat([
      ascii(COMMITMENT_DOMAIN), Uint8Array.of(0), hexToBytes(d.salt), ascii(d.ref)
    ])));
    if (mine !== d.commitment) return say(box, "failed");
    var response = await fetch(d.api, { headers: { Accept: "application/json" } });
    if (response.status === 404) return say(box, "pending");
    if (!response.ok) return say(box, "error");
    var receipt = await response.json();
    var head = receipt.head;
    var covered = receipt.entries.filter(function (e) { return e.proof && e.entry; });
    if (!head || !covered.length) return say(box, "pending");
    if (head.campaign !== d.campaign) return say(box, "failed");
    for (var i = 0; i < covered.length; i++) {
      var e = covered[i];
      if (e.entry.commitment !== mine || e.entry.index !== e.index || e.entry.campaign !== d.campaign) {
        return say(box, "failed");
      }
      var root = await rootFromPath(e.index, head.size, await sha256(concat([
        Uint8Array.of(0), leafBytes(e.entry)
      ])), e.proof);
      if (!root || bytesToHex(root) !== head.root_hash) return say(box, "failed");
    }
    var signed;
    try {
      signed = await signatureHolds(d.publicKey, head);
    } catch (error) {
      return say(box, "unsupported"); // No Ed25519 in this browser's WebCrypto.
    }
    if (!signed) return say(box, "failed");
    var last = covered[covered.length - 1];
    say(box, "ok", { index: last.index, kind: last.kind, size: head.size, time: head.timestamp });
  }

  document.querySelectorAll("[data-ledger-receipt]").forEach(function (box) {
    if (!window.crypto || !crypto.subtle) return; // Not a secure context: keep the fallback.
    var run = function () {
      check(box).catch(function () { say(box, "error"); });
    };
    // The button exists only where the check can run (no JavaScript, no button).
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = box.getAttribute("data-label-again");
    button.addEventListener("click", run);
    var holder = document.createElement("p");
    holder.appendChild(button);
    box.appendChild(holder);
    run();
  });
})();
