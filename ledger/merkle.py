"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0), §2.1, written against stored
hashes of perfect subtrees.

Hashing: a leaf is ``SHA-256(0x00 || leaf)``, an inner node ``SHA-256(0x01 || left || right)``,
the empty tree ``SHA-256()``. The tree over ``n`` leaves splits at the largest power of two
below ``n``, so every subtree the RFC's recursion visits is either *perfect* (``2**level``
leaves starting at a multiple of ``2**level``) or splits into a perfect left part and a
smaller right part. Perfect subtrees never change once complete: the sequencer stores each
one's hash as it completes (``ledger.models.Node``), and any root or proof below is a function
of O(log n) of them, read in one query (see :func:`needed_nodes`).

Written by hand (the hashing is two lines; the recursion is the RFC's): no maintained Python
library serves proofs from a database. The standalone verifier (``tools/verify_ledger.py``)
is a second, independent implementation of the checking side, and the tests hold the two
against each other and against RFC 9162's algorithms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index): the perfect subtree of 2**level leaves starting at leaf index * 2**level.
NodeKey = tuple[int, int]
NodeLookup = Callable[[int, int], bytes]


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two strictly below ``size`` (``size`` > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def is_perfect(start: int, end: int) -> bool:
    size = end - start
    return size > 0 and size & (size - 1) == 0 and start % size == 0


def perfect_key(start: int, end: int) -> NodeKey:
    level = (end - start).bit_length() - 1
    return level, start >> level


def subtree_root(start: int, end: int, node: NodeLookup) -> bytes:
    """MTH(D[start:end]) for a range the RFC's recursion visits."""
    if end <= start:
        return EMPTY_ROOT
    if is_perfect(start, end):
        return node(*perfect_key(start, end))
    k = split_point(end - start)
    return node_hash(subtree_root(start, start + k, node), subtree_root(start + k, end, node))


def inclusion_path(index: int, size: int, node: NodeLookup) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, leaf side first."""
    if not 0 <= index < size:
        raise ValueError("index outside the tree")
    return _path(index, 0, size, node)


def _path(m: int, start: int, end: int, node: NodeLookup) -> list[bytes]:
    if end - start == 1:
        return []
    k = split_point(end - start)
    if m < k:
        return _path(m, start, start + k, node) + [subtree_root(start + k, end, node)]
    return _path(m - k, start + k, end, node) + [subtree_root(start, start + k, node)]


def consistency_proof(first: int, second: int, node: NodeLookup) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1 (empty when first is 0 or equal)."""
    if not 0 <= first <= second:
        raise ValueError("the first tree must not be larger than the second")
    if first == 0 or first == second:
        return []
    return _subproof(first, 0, second, True, node)


def _subproof(m: int, start: int, end: int, whole: bool, node: NodeLookup) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [subtree_root(start, end, node)]
    k = split_point(n)
    if m <= k:
        return _subproof(m, start, start + k, whole, node) + [subtree_root(start + k, end, node)]
    return _subproof(m - k, start + k, end, False, node) + [subtree_root(start, start + k, node)]


def needed_nodes(compute: Callable[[NodeLookup], object]) -> set[NodeKey]:
    """The perfect subtrees ``compute`` reads: run it once on placeholder hashes (the
    recursion's shape does not depend on the hashes), so the caller can fetch them all in one
    query before running it for real."""
    keys: set[NodeKey] = set()

    def record(level: int, index: int) -> bytes:
        keys.add((level, index))
        return EMPTY_ROOT

    compute(record)
    return keys


def completed_nodes(index: int, leaf: bytes, node: NodeLookup) -> list[tuple[int, int, bytes]]:
    """The perfect subtrees that appending leaf number ``index`` (its hash ``leaf``) completes:
    the leaf itself, then each parent whose right child this completes. Returns
    (level, index, hash) from the bottom up; ``node`` gives the left siblings."""
    out = [(0, index, leaf)]
    level, position, current = 0, index, leaf
    while position % 2 == 1:
        current = node_hash(node(level, position - 1), current)
        level, position = level + 1, position // 2
        out.append((level, position, current))
    return out


def root_from_leaves(leaves: Iterable[bytes]) -> bytes:
    """MTH over leaf hashes, for tests and rebuilds (O(n) memory)."""
    hashes = list(leaves)
    return _root(hashes) if hashes else EMPTY_ROOT


def _root(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = split_point(len(hashes))
    return node_hash(_root(hashes[:k]), _root(hashes[k:]))


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``path`` prove leaf hash ``leaf`` at ``index`` in ``root``?"""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show the tree of ``first`` leaves is a prefix of the
    tree of ``second`` leaves?"""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    if first & (first - 1) == 0:  # A power of two: the first root is itself on the path.
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root
