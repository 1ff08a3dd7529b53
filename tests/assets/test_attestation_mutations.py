"""Property: any change to a figure behind the totals is caught, even when both keys re-sign it.

A dishonest bank controls the bank key and the lnd node key, so it can re-sign any edit. What it
cannot do is make edited figures consistent with the escrow identity, the totals, the statement,
the challenge and the proofs of control all at once. Each example edits one integer by a
non-zero delta, re-signs with both keys, and requires the verifier to reject the result.
"""

from __future__ import annotations

import copy

import assets_builder as b
import pytest
from assets_cli import EPOCH
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.keys import sign_artifact
from verifier.assets.attestation import verify_attestation
from verifier.assets.challenge import node_message
from verifier.errors import VerificationError


def _resign(doc, private):
    body = {k: v for k, v in doc.items() if k not in ("signature", "node_signature")}
    message = node_message(body)
    body["node_signature"] = {"message": message, "signature": b.lnd_node_sign(b.NODE, message)}
    return sign_artifact(body, private)


def _paths(doc):
    """Every integer that feeds a total, as (container path, key)."""
    paths = []
    for i, _ in enumerate(doc["channels"]):
        paths += [(("channels", i), k) for k in ("capacity", "local", "remote", "unsettled", "commit_fee")]
    for i, p in enumerate(doc["pending_channels"]):
        paths += [(("pending_channels", i), "limbo")]
        if p["kind"] == "pending_open":
            paths += [(("pending_channels", i), "local")]
    paths += [(("onchain",), k) for k in ("confirmed", "unconfirmed", "locked")]
    for where in ("cold_utxos", "onchain_utxos"):
        paths += [((where, i), "amount") for i in range(len(doc[where]))]
    paths += [(("totals",), k) for k in doc["totals"]]
    return paths


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    from click.testing import CliRunner

    from solvency.cli.main import cli
    from solvency.keys import generate_key
    from verifier import canonical

    root = tmp_path_factory.mktemp("mut")
    private = generate_key(root / "bank.key")
    commitment = b.commitment(private, EPOCH)
    b.write_commitment(root / "c.json", commitment)
    b.Snapshot(EPOCH, commitment).write(root / "snap")
    result = CliRunner().invoke(cli, ["assets", "attest", "--snapshots", str(root / "snap"), "--epoch", EPOCH,
                                      "--commitment", str(root / "c.json"), "--key", str(root / "bank.key"),
                                      "--out", str(root / "a.json")])
    assert result.exit_code == 0, result.output
    return canonical.loads((root / "a.json").read_bytes()), private, commitment


def test_unmutated_attestation_verifies(signed):
    doc, private, commitment = signed
    verify_attestation(_resign(doc, private), private.public_key(), commitment=commitment)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_figure_change_is_rejected(signed, data):
    doc, private, commitment = signed
    container_path, key = data.draw(st.sampled_from(_paths(doc)))
    delta = data.draw(st.sampled_from([-1000, -1, 1, 330, 1000]))
    mutated = copy.deepcopy(doc)
    target = mutated
    for step in container_path:
        target = target[step]
    if target[key] + delta < 0:
        delta = -delta
    target[key] += delta
    with pytest.raises(VerificationError):
        verify_attestation(_resign(mutated, private), private.public_key(), commitment=commitment)


def _leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    yield path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_edited_value_gives_a_verdict_never_a_crash(signed, data):
    from verifier.errors import CannotVerify

    doc, private, commitment = signed
    mutated = copy.deepcopy(doc)
    path = data.draw(st.sampled_from([p for p in _leaves(mutated) if p and p[0] not in ("signature", "node_signature")]))
    replacement = data.draw(st.sampled_from([None, True, -1, 0, 2**60, "", "-1", "zz", [], {}, ["x"], {"a": None}]))
    target = mutated
    for step in path[:-1]:
        target = target[step]
    if target[path[-1]] == replacement:
        return
    target[path[-1]] = replacement
    # Some members are descriptive and legitimately free (an outpoint's vout is checked only
    # against the auditor's UTXO data, `active` is informational), so an edit may still verify;
    # what must never happen is an exception other than a verdict.
    try:
        verify_attestation(_resign(mutated, private), private.public_key(), commitment=commitment)
    except (VerificationError, CannotVerify):
        pass
