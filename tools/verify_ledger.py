#!/usr/bin/env python3
"""Verify the public ledger of a "Stealing Isn't Innovation" site, trusting nothing it says.

    python3 verify_ledger.py https://example.org
    python3 verify_ledger.py https://example.org --key <public key, hex> --state ledger-state.json

Downloads every entry of every campaign's log, rebuilds the Merkle tree (RFC 9162), checks
every signed tree head (its Ed25519 signature and its root), checks that the log only ever
grew (each head's tree is a prefix of the next; with ``--state``, also of the heads seen on a
previous run), recomputes the count from the entries and compares it with the site's.
Exits 0 when everything holds, 1 on any mismatch (each printed with where it is), 2 when the
site cannot be read.

Needs Python 3.9+ and the ``cryptography`` package, nothing else. This one file is the
verifier: ``manage.py verify_ledger`` runs the same functions over the site's database.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

FORMAT = "sii-ledger/v1"
KINDS = ("counted", "withdrawn", "rejected", "restored", "erased")
COUNTING = ("counted", "restored")
ALLOWED_AFTER = {
    None: ("counted",),
    "counted": ("withdrawn", "rejected", "erased"),
    "restored": ("withdrawn", "rejected", "erased"),
    "withdrawn": ("counted", "erased"),
    "rejected": ("restored", "rejected", "erased"),
    "erased": (),
}
REASONS = {
    "counted": ("signed-here", "imported", "recorded-late"),
    "withdrawn": ("",),
    "rejected": ("under-review", "fraudulent", "impersonation", "duplicate", "other"),
    "restored": ("review-cleared", ""),
    "erased": ("signer-request", "retention", ""),
}
PAGE = 10_000


# --- RFC 9162 hashing ---------------------------------------------------------------------


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf_bytes(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


class CompactRange:
    """The roots of the perfect subtrees of the tree so far: appends in O(1) amortised and
    gives the root of the current tree in O(log n)."""

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []  # (level, hash), largest first

    def append(self, digest: bytes) -> None:
        level = 0
        while self.stack and self.stack[-1][0] == level:
            _, left = self.stack.pop()
            digest = node_hash(left, digest)
            level += 1
        self.stack.append((level, digest))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        digest = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            digest = node_hash(left, digest)
        return digest


def verify_inclusion(index: int, size: int, leaf: bytes, path: list, root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, root1: bytes, root2: bytes, proof: list) -> bool:
    """RFC 9162 §2.1.4.2."""
    if first > second:
        return False
    if first == second:
        return not proof and root1 == root2
    if first == 0:
        return not proof
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [root1] + list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == root1 and sr == root2


def tree_head_text(campaign: str, size: int, root_hex: str, timestamp: str) -> str:
    return f"{FORMAT}\ncampaign {campaign}\nsize {size}\nroot {root_hex}\ntime {timestamp}\n"


def signature_ok(public_key: bytes, head: dict) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = tree_head_text(head["campaign"], head["size"], head["root_hash"], head["timestamp"])
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            base64.b64decode(head["signature"]), text.encode()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


# --- Where the data comes from --------------------------------------------------------------


class SiteError(Exception):
    """The site could not be read."""


class HttpSource:
    """The site's public API (``/api/v1/ledger/``)."""

    def __init__(self, site: str, *, timeout: float = 30) -> None:
        if urllib.parse.urlsplit(site).scheme not in ("http", "https"):
            raise SiteError(f"{site}: give the site's http:// or https:// address")
        self.base = site.rstrip("/") + "/api/v1/ledger/"
        self.timeout = timeout

    def _get(self, path: str, **params) -> bytes:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        for _attempt in range(6):
            request = urllib.request.Request(url, headers={"User-Agent": "verify_ledger/1"})  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return response.read()
            except urllib.error.HTTPError as error:
                if error.code == 429:  # Rate limited: wait as told, then try again.
                    time.sleep(min(int(error.headers.get("Retry-After") or 5), 60))
                    continue
                raise SiteError(f"{url}: HTTP {error.code}") from None
            except (urllib.error.URLError, OSError) as error:
                raise SiteError(f"{url}: {error}") from None
        raise SiteError(f"{url}: still rate limited")

    def _json(self, path: str, **params) -> dict:
        try:
            return json.loads(self._get(path, **params))
        except ValueError:
            raise SiteError(f"{path}: not JSON") from None

    def index(self) -> dict:
        return self._json("")

    def status(self, slug: str) -> dict:
        return self._json(f"{slug}/")

    def heads(self, slug: str) -> list:
        heads, offset = [], 0
        while True:
            page = self._json(f"{slug}/heads", offset=offset, limit=1000)
            heads.extend(page["heads"])
            if not page.get("has_more"):
                return heads
            offset += len(page["heads"])

    def entries(self, slug: str, start: int, end: int):
        while start < end:
            stop = min(end, start + PAGE)
            body = self._get(f"{slug}/entries.jsonl", start=start, end=stop)
            lines = [line for line in body.decode().split("\n") if line]
            for line in lines:
                yield json.loads(line)
            if len(lines) < stop - start:
                return  # Fewer than asked: reported as missing by the caller.
            start = stop

    def receipt(self, slug: str, commitment: str) -> dict | None:
        try:
            return self._json(f"{slug}/receipts/{commitment}")
        except SiteError as error:
            if "HTTP 404" in str(error):
                return None
            raise

    def consistency(self, slug: str, first: int, second: int) -> list:
        data = self._json(f"{slug}/proof/consistency", first=first, second=second)
        return [bytes.fromhex(h) for h in data["proof"]]


# --- The checks ---------------------------------------------------------------------------


@dataclass
class Report:
    campaign: str
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    entries: int = 0
    heads: int = 0
    counted: int = 0

    def problem(self, message: str) -> None:
        self.problems.append(message)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_log(source, slug: str, public_key: bytes, previous: dict | None = None) -> Report:
    """Every check on one campaign's log; ``previous`` is a head kept from an earlier run."""
    report = Report(slug)
    status = source.status(slug)
    heads = sorted(source.heads(slug), key=lambda h: (h["timestamp"], h["size"]))
    report.heads = len(heads)
    _check_heads(report, slug, heads, public_key)
    # Every tree the site vouched for: (size, what it is, root hex, count it states).
    checkpoints = [
        (
            h["size"],
            f"tree head of {h['timestamp']} (size {h['size']})",
            h["root_hash"],
            h["counted"],
        )
        for h in heads
    ]
    checkpoints.append(
        (
            status["size"],
            "the log's current tree (not yet signed)",
            status["root_hash"],
            status["counted"],
        )
    )
    if previous:
        checkpoints.append(
            (
                previous["size"],
                f"the head kept from an earlier run ({previous['timestamp']})",
                previous["root_hash"],
                None,
            )
        )
    size = max(checkpoint[0] for checkpoint in checkpoints)
    prefix, counts = _replay(report, source, slug, size)
    served = len(prefix) - 1
    if served < size:
        report.problem(f"the log serves {served} entries; its trees need {size}")
    for head_size, label, root_hex, claimed in checkpoints:
        if head_size > served:
            continue
        if prefix[head_size].hex() != root_hex:
            where = _locate(source, slug, prefix, head_size, bytes.fromhex(root_hex), status)
            report.problem(f"{label}: the entries give another root; {where}")
        elif claimed is not None and counts[head_size] != claimed:
            report.problem(
                f"{label}: it states {claimed} counted, the entries give {counts[head_size]}"
            )
    if status["size"] <= served:
        report.counted = counts[status["size"]]
    # The site's own count, taken in the same database snapshot as the log's first
    # ``site_count_at_size`` entries: they must agree exactly.
    site_count, at = status.get("site_count"), status.get("site_count_at_size")
    if site_count is not None and at is not None and at <= served and site_count != counts[at]:
        report.problem(
            f"the site counted {site_count} signatures when its log held {at} entries; "
            f"those entries count {counts[at]}"
        )
    elif site_count is None or at is None:
        report.notes.append("the site has not yet compared its count with the log")
    if len(heads) > 1:
        _check_consistency_proof(report, source, slug, heads[0], heads[-1])
    if previous and heads:
        _check_consistency_proof(report, source, slug, previous, heads[-1])
    return report


def _check_heads(report: Report, slug: str, heads: list, public_key: bytes) -> None:
    last = None
    for head in heads:
        label = f"tree head of {head['timestamp']} (size {head['size']})"
        if head.get("campaign") != slug:
            report.problem(f"{label}: it names campaign {head.get('campaign')!r}")
        if not signature_ok(public_key, head):
            report.problem(f"{label}: the signature does not verify with the public key")
        if last is not None and head["size"] < last["size"]:
            report.problem(f"{label}: the log shrank from {last['size']} entries")
        last = head


def _replay(report: Report, source, slug: str, size: int) -> tuple[list, list]:
    """Rebuild the tree and the count entry by entry. Returns the root and the count of every
    prefix: ``prefix[n]`` is the root of the first ``n`` entries (32 bytes an entry kept, about
    3 MB per 100,000 entries)."""
    tree = CompactRange()
    states: dict = {}
    prefix, counts = [tree.root()], [0]
    for entry in source.entries(slug, 0, size):
        index = tree.size
        if entry.get("index") != index:
            report.problem(
                f"entry {index}: missing or out of order (the next one served is "
                f"{entry.get('index')!r})"
            )
            break
        counts.append(counts[-1] + _check_entry(report, slug, entry, index, states))
        tree.append(leaf_hash(leaf_bytes(entry)))
        prefix.append(tree.root())
    report.entries = tree.size
    report.counted = counts[-1]
    return prefix, counts


def _check_entry(report: Report, slug: str, entry: dict, index: int, states: dict) -> int:
    kind, reason, commitment = entry.get("kind"), entry.get("reason"), entry.get("commitment")
    if set(entry) != {"campaign", "commitment", "index", "kind", "reason", "time"}:
        report.problem(f"entry {index}: unexpected fields {sorted(entry)}")
    if entry.get("campaign") != slug:
        report.problem(f"entry {index}: it names campaign {entry.get('campaign')!r}")
    if kind not in KINDS:
        report.problem(f"entry {index}: unknown kind {kind!r}")
        return 0
    if reason not in REASONS[kind]:
        report.problem(f"entry {index}: reason {reason!r} is not one a {kind!r} entry may give")
    if not isinstance(commitment, str) or len(commitment) != 64:
        report.problem(f"entry {index}: malformed commitment")
    previous = states.get(commitment)
    if kind not in ALLOWED_AFTER[previous]:
        report.problem(f"entry {index}: {kind!r} cannot follow {previous!r} for its signature")
    states[commitment] = kind
    return int(kind in COUNTING) - int(previous in COUNTING)


def _locate(source, slug: str, prefix: list, size: int, signed_root: bytes, status: dict) -> str:
    """Name the first entry that differs from the ones the signed tree was built with, by
    bisection over the site's consistency proofs: a prefix is intact when a proof links its
    rebuilt root to the signed one (O(log n) requests). Possible only while the site's own
    tree still contains the signed one; otherwise the history itself was rewritten."""
    try:
        current, current_root = status["size"], bytes.fromhex(status["root_hash"])
        if size <= current and not verify_consistency(
            size, current, signed_root, current_root, source.consistency(slug, size, current)
        ):
            return (
                f"the site's own tree no longer contains it: its first {size} entries were "
                f"rewritten after it was signed"
            )
        lo, hi = 0, size  # The prefix of lo entries is intact, the one of hi is not.
        while hi - lo > 1:
            mid = (lo + hi) // 2
            proof = source.consistency(slug, mid, size)
            if verify_consistency(mid, size, prefix[mid], signed_root, proof):
                lo = mid
            else:
                hi = mid
    except (SiteError, KeyError, ValueError):
        return "the first differing entry could not be located"
    return f"entry {hi - 1} is not the one the tree was built with"


def _check_consistency_proof(report: Report, source, slug: str, old: dict, new: dict) -> None:
    try:
        proof = source.consistency(slug, old["size"], new["size"])
    except SiteError as error:
        report.problem(f"consistency proof {old['size']} → {new['size']}: {error}")
        return
    if not verify_consistency(
        old["size"],
        new["size"],
        bytes.fromhex(old["root_hash"]),
        bytes.fromhex(new["root_hash"]),
        proof,
    ):
        report.problem(
            f"the site's consistency proof from size {old['size']} ({old['timestamp']}) to "
            f"{new['size']} ({new['timestamp']}) does not verify"
        )


def verify_site(source, *, public_key: bytes, campaigns=None, state: dict | None = None) -> list:
    """Verify every campaign's log (or those named); ``state`` maps a campaign to the head
    verified on an earlier run."""
    index = source.index()
    reports = []
    served_key = bytes.fromhex(index["public_key"]["hex"])
    if served_key != public_key:
        bad = Report("*")
        bad.problem(f"the site publishes key {served_key.hex()}, not {public_key.hex()}")
        reports.append(bad)
    for log in index["logs"]:
        slug = log["campaign"]
        if not campaigns or slug in campaigns:
            reports.append(verify_log(source, slug, public_key, (state or {}).get(slug)))
    return reports


def commitment_of(salt: bytes, ref: str) -> str:
    return hashlib.sha256(b"sii-ledger/commitment/v1\x00" + salt + ref.encode("ascii")).hexdigest()


def verify_receipt(source, *, public_key: bytes, commitment: str, salt=None, ref=None) -> Report:
    """Check one signer's receipt: the commitment is theirs (with ``salt`` and ``ref``), and
    each of its entries is in the latest signed tree head, whose signature holds."""
    report = Report(f"receipt {commitment[:12]}…")
    if salt is not None and commitment_of(salt, ref or "") != commitment:
        report.problem("the salt and reference do not give this commitment")
    for log in source.index()["logs"]:
        receipt = source.receipt(log["campaign"], commitment)
        if receipt is None:
            continue
        head = receipt["head"]
        if head is None or not signature_ok(public_key, head):
            report.problem("no tree head with a valid signature covers the entries")
            return report
        report.heads = 1
        for item in receipt["entries"]:
            if item["proof"] is None:
                report.notes.append(f"{item['kind']} entry not yet in a signed tree head")
                continue
            entry = item["entry"]
            leaf = leaf_hash(leaf_bytes(entry))
            proof = [bytes.fromhex(p) for p in item["proof"]]
            if entry["commitment"] != commitment or not verify_inclusion(
                entry["index"], head["size"], leaf, proof, bytes.fromhex(head["root_hash"])
            ):
                report.problem(f"entry {entry['index']}: its inclusion proof does not verify")
            else:
                report.entries += 1
                report.notes.append(
                    f"entry {entry['index']} ({entry['kind']}, {entry['time']}) is in the tree "
                    f"of {head['size']} entries signed at {head['timestamp']}"
                )
        return report
    report.problem("no log holds an entry with this commitment")
    return report


def print_reports(reports: list, out=sys.stdout) -> bool:
    ok = True
    for report in reports:
        if report.campaign.startswith("receipt "):
            print(f"{report.campaign}: {report.entries} entries proven", file=out)
        elif report.campaign != "*":
            print(
                f"{report.campaign}: {report.entries} entries, {report.heads} signed tree heads, "
                f"{report.counted} signatures counted according to the log",
                file=out,
            )
        for note in report.notes:
            print(f"  {note}", file=out)
        for problem in report.problems:
            ok = False
            print(f"MISMATCH {report.campaign}: {problem}", file=out)
    print("OK: every check holds." if ok else "FAILED: see the mismatches above.", file=out)
    return ok


def _parse_key(text: str) -> bytes:
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = base64.b64decode(text)
    if len(raw) != 32:
        raise argparse.ArgumentTypeError("an Ed25519 public key is 32 bytes (hex or base64)")
    return raw


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", help="the site's address, e.g. https://example.org")
    parser.add_argument("--key", type=_parse_key, help="the public key you expect (hex or base64)")
    parser.add_argument("--campaign", action="append", help="only this campaign (repeatable)")
    parser.add_argument(
        "--state", help="a JSON file: heads verified on an earlier run, updated after this one"
    )
    parser.add_argument("--receipt", help="check only this receipt (its commitment, hex)")
    parser.add_argument(
        "--salt", help="the receipt's secret (hex), to check the commitment is yours"
    )
    parser.add_argument("--ref", help="the receipt's signature reference")
    args = parser.parse_args(argv)
    state = _load_state(args.state)
    try:
        source = HttpSource(args.site)
        public_key = args.key or bytes.fromhex(source.index()["public_key"]["hex"])
        if not args.key:
            print(f"Trusting the key the site publishes: {public_key.hex()} (pin it with --key).")
        if args.receipt:
            salt = bytes.fromhex(args.salt) if args.salt else None
            reports = [
                verify_receipt(
                    source, public_key=public_key, commitment=args.receipt, salt=salt, ref=args.ref
                )
            ]
        else:
            reports = verify_site(
                source, public_key=public_key, campaigns=args.campaign, state=state
            )
        ok = print_reports(reports)
        if ok and args.state and not args.receipt:
            _save_state(args.state, source, reports)
    except SiteError as error:
        print(f"ERROR: cannot read the site: {error}", file=sys.stderr)
        return 2
    return 0 if ok else 1


def _load_state(path) -> dict:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}


def _save_state(path, source, reports) -> None:
    state = _load_state(path)
    for report in reports:
        heads = source.heads(report.campaign) if report.campaign != "*" else []
        if heads:
            state[report.campaign] = max(heads, key=lambda h: (h["size"], h["timestamp"]))
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)


if __name__ == "__main__":
    sys.exit(main())
