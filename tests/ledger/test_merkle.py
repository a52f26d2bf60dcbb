"""The Merkle tree against the reference vectors of RFC 6962/9162 (Certificate Transparency's
test data) and against the standalone verifier, an independent implementation."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from ledger import merkle
from ledger.services import frontier_keys
from ledger.verification import verifier

LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, path)
INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


class Stored:
    """Perfect-subtree hashes as the sequencer stores them, built by appending."""

    def __init__(self, leaf_hashes: list[bytes]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        for index, leaf in enumerate(leaf_hashes):
            for level, position, digest in merkle.completed_nodes(index, leaf, self.node):
                self.nodes[(level, position)] = digest

    def node(self, level: int, position: int) -> bytes:
        return self.nodes[(level, position)]


HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
STORED = Stored(HASHES)


@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_reference(size):
    assert merkle.subtree_root(0, size, STORED.node).hex() == ROOTS[size]
    assert merkle.root_from_leaves(HASHES[:size]).hex() == ROOTS[size]
    tree = verifier().CompactRange()
    for digest in HASHES[:size]:
        tree.append(digest)
    assert tree.root().hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_reference(index, size, path):
    proof = merkle.inclusion_path(index, size, STORED.node)
    assert [p.hex() for p in proof] == path
    root = bytes.fromhex(ROOTS[size])
    assert merkle.verify_inclusion(index, size, HASHES[index], proof, root)
    assert verifier().verify_inclusion(index, size, HASHES[index], proof, root)
    assert not verifier().verify_inclusion(index, size, HASHES[index - 1], proof, root)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_reference(first, second, path):
    proof = merkle.consistency_proof(first, second, STORED.node)
    assert [p.hex() for p in proof] == path
    old, new = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
    assert merkle.verify_consistency(first, second, old, new, proof)
    assert verifier().verify_consistency(first, second, old, new, proof)
    if first != second:
        assert not verifier().verify_consistency(first, second, new, new, proof)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 70), data=st.data())
def test_every_proof_verifies_and_a_wrong_leaf_does_not(size, data):
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    stored = Stored(leaves)
    root = merkle.root_from_leaves(leaves)
    assert merkle.subtree_root(0, size, stored.node) == root
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_path(index, size, stored.node)
    assert len(proof) <= size.bit_length()
    assert verifier().verify_inclusion(index, size, leaves[index], proof, root)
    assert not verifier().verify_inclusion(index, size, merkle.leaf_hash(b"x"), proof, root)
    first = data.draw(st.integers(0, size))
    consistency = merkle.consistency_proof(first, size, stored.node)
    old = merkle.root_from_leaves(leaves[:first])
    assert verifier().verify_consistency(first, size, old, root, consistency)
    if 0 < first < size:
        forged = merkle.root_from_leaves([merkle.leaf_hash(b"forged"), *leaves[1:first]])
        assert not verifier().verify_consistency(first, size, forged, root, consistency)


def test_a_proof_reads_few_stored_hashes():
    """Proofs at 100,000 entries touch O(log n) perfect subtrees, not the leaves."""
    size = 100_003
    read = merkle.needed_nodes(lambda node: merkle.inclusion_path(4_321, size, node))
    assert len(read) <= 2 * size.bit_length()
    read = merkle.needed_nodes(lambda node: merkle.consistency_proof(77_777, size, node))
    assert len(read) <= 2 * size.bit_length()


def test_the_frontier_is_the_binary_decomposition():
    assert frontier_keys(0) == set()
    assert frontier_keys(8) == {(3, 0)}
    assert frontier_keys(13) == {(3, 0), (2, 2), (0, 12)}
