"""The ledger's API: what the verifier and the browser check read, with a query budget
that does not grow with the log."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from api.views import api
from ledger import formats, merkle, services
from ledger.models import Kind, Reason

from .conftest import site_shows

NINE = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)


@pytest.fixture
def ledger(signer, campaign):
    people = [signer() for _ in range(11)]
    for person in people[:7]:
        person.record(Kind.COUNTED, Reason.SIGNED_HERE)
    services.publish_tree_head(campaign=campaign, now=NINE)
    for person in people[7:]:
        person.record(Kind.COUNTED, Reason.IMPORTED)
    people[0].record(Kind.WITHDRAWN)
    services.publish_tree_head(campaign=campaign, now=NINE + dt.timedelta(hours=1))
    site_shows(campaign, 10)
    return people


def url(name: str, **kwargs) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def test_the_index_gives_the_key_and_the_logs(client, ledger, campaign):
    body = client.get(url("ledger_index")).json()
    assert body["public_key"]["algorithm"] == "Ed25519"
    assert len(bytes.fromhex(body["public_key"]["hex"])) == 32
    (log,) = body["logs"]
    assert log["campaign"] == campaign.slug
    assert (log["size"], log["counted"]) == (12, 10)
    assert log["latest_head"]["size"] == 12


def test_entries_come_as_json_lines_exactly_as_hashed(client, ledger, campaign):
    response = client.get(url("ledger_entries", slug=campaign.slug), {"start": 2, "end": 5})
    assert response["Content-Type"].startswith("application/jsonl")
    lines = response.content.decode().splitlines()
    assert [json.loads(line)["index"] for line in lines] == [2, 3, 4]
    assert all(formats.leaf_bytes(json.loads(line)).decode() == line for line in lines)
    assert response["Link"] == '<?start=5&end=8>; rel="next"'
    assert "immutable" in response["Cache-Control"]


def test_a_range_too_large_is_refused(client, ledger, campaign):
    response = client.get(url("ledger_entries", slug=campaign.slug), {"start": 0, "end": 10_001})
    assert response.status_code == 400


def test_inclusion_proof_verifies_against_the_signed_head(client, ledger, campaign):
    body = client.get(url("ledger_inclusion", slug=campaign.slug), {"index": 9}).json()
    assert body["tree_size"] == 12 and body["head"]["size"] == 12
    leaf = merkle.leaf_hash(formats.leaf_bytes(body["entry"]))
    assert leaf.hex() == body["leaf_hash"]
    proof = [bytes.fromhex(p) for p in body["proof"]]
    assert merkle.verify_inclusion(9, 12, leaf, proof, bytes.fromhex(body["head"]["root_hash"]))


def test_an_entry_not_yet_signed_has_no_proof_yet(client, ledger, campaign, signer):
    signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    services.sequence()
    response = client.get(url("ledger_inclusion", slug=campaign.slug), {"index": 12})
    assert response.status_code == 404
    assert "within the hour" in response.json()["detail"]


def test_consistency_proof_between_the_two_heads(client, ledger, campaign):
    heads = client.get(url("ledger_heads", slug=campaign.slug)).json()["heads"]
    assert [h["size"] for h in heads] == [7, 12]
    body = client.get(
        url("ledger_consistency", slug=campaign.slug), {"first": 7, "second": 12}
    ).json()
    old, new = (bytes.fromhex(h["root_hash"]) for h in heads)
    assert merkle.verify_consistency(7, 12, old, new, [bytes.fromhex(p) for p in body["proof"]])
    bad = client.get(url("ledger_consistency", slug=campaign.slug), {"first": 9, "second": 13})
    assert bad.status_code == 400


def test_a_receipt_lists_a_signature_entries_with_proofs(client, ledger, campaign):
    first = ledger[0]
    body = client.get(url("ledger_receipt", slug=campaign.slug, commitment=first.commitment))
    entries = body.json()["entries"]
    assert [(e["index"], e["kind"]) for e in entries] == [(0, "counted"), (11, "withdrawn")]
    assert all(e["proof"] is not None for e in entries)
    missing = client.get(url("ledger_receipt", slug=campaign.slug, commitment="0" * 64))
    assert missing.status_code == 404


def test_a_draft_campaign_has_no_public_ledger(client, ledger, campaign):
    campaign.status = "draft"
    campaign.save()
    assert client.get(url("ledger_log", slug=campaign.slug)).status_code == 404
    assert client.get(url("ledger_index")).json()["logs"] == []


def test_every_ledger_operation_is_in_the_openapi_schema():
    paths = api.get_openapi_schema()["paths"]
    ledger_paths = sorted(p for p in paths if "/ledger/" in p)
    assert ledger_paths == [
        "/api/v1/ledger/",
        "/api/v1/ledger/{slug}/",
        "/api/v1/ledger/{slug}/entries.jsonl",
        "/api/v1/ledger/{slug}/heads",
        "/api/v1/ledger/{slug}/proof/consistency",
        "/api/v1/ledger/{slug}/proof/inclusion",
        "/api/v1/ledger/{slug}/receipts/{commitment}",
    ]
    responses = paths["/api/v1/ledger/{slug}/entries.jsonl"]["get"]["responses"]
    assert "application/jsonl" in responses[200]["content"]


@pytest.mark.parametrize("extra", [0, 40])
def test_query_budgets_do_not_grow_with_the_log(
    client, ledger, campaign, signer, django_assert_max_num_queries, extra
):
    for _ in range(extra):
        signer().record(Kind.COUNTED, Reason.SIGNED_HERE)
    services.publish_tree_head(campaign=campaign, now=NINE + dt.timedelta(hours=2))
    slug = campaign.slug
    budgets = [
        (url("ledger_index"), {}, 6),
        (url("ledger_log", slug=slug), {}, 3),
        (url("ledger_heads", slug=slug), {}, 3),
        (url("ledger_entries", slug=slug), {"start": 0, "end": 50}, 3),
        (url("ledger_inclusion", slug=slug), {"index": 5}, 5),
        (url("ledger_consistency", slug=slug), {"first": 7, "second": 12}, 3),
        (url("ledger_receipt", slug=slug, commitment=ledger[0].commitment), {}, 7),
    ]
    for path, params, budget in budgets:
        with django_assert_max_num_queries(budget):
            assert client.get(path, params).status_code == 200, path


def test_the_verifier_script_reads_the_api(client, ledger, campaign):
    """The standalone verifier over HTTP (here through the test client): every check holds."""
    from ledger.verification import verifier

    module = verifier()

    class ClientSource(module.HttpSource):
        def _get(self, path, **params):
            response = client.get("/api/v1/ledger/" + path, params)
            if response.status_code != 200:
                raise module.SiteError(f"{path}: HTTP {response.status_code}")
            return response.content

    source = ClientSource("http://testserver")
    key = bytes.fromhex(source.index()["public_key"]["hex"])
    reports = module.verify_site(source, public_key=key)
    assert [r.problems for r in reports] == [[]]
    assert reports[0].counted == 10
    first = ledger[0]
    receipt = module.verify_receipt(
        source, public_key=key, commitment=first.commitment, salt=first.salt, ref=first.ref
    )
    assert receipt.ok and receipt.entries == 2
    wrong = module.verify_receipt(
        source, public_key=key, commitment=first.commitment, salt=ledger[1].salt, ref=first.ref
    )
    assert not wrong.ok


def test_a_range_past_the_end_is_an_empty_page(client, ledger, campaign):
    """Polling for new entries: nothing yet is an empty body, not an error."""
    for start in (12, 83_779_668):
        response = client.get(url("ledger_entries", slug=campaign.slug), {"start": start})
        assert response.status_code == 200 and response.content == b""
