"""Addresses, scripts and descriptors of the asset attestation (docs/SPEC.md section 8.4).

An address is accepted only in its canonical form for the attestation's network: decoding it
(embit's base58check / bech32 / bech32m) and re-encoding the resulting scriptPubKey must give
the same string. That refuses upper-case bech32, other networks' prefixes, bech32 where bech32m
is required and vice versa. A descriptor must have no wildcard, a correct checksum when one is
given, and derive exactly the UTXO's scriptPubKey (``addr()`` and ``raw()`` name it directly).
"""

from __future__ import annotations

from typing import Any

from embit.descriptor import Descriptor
from embit.descriptor.checksum import checksum as descriptor_checksum
from embit.networks import NETWORKS
from embit.script import Script, address_to_scriptpubkey

from verifier.assets.errors import CannotVerify, InvalidAttestation, Reason

# lnd `getinfo.chains[].network` names -> embit network parameters.
NETWORK_NAMES = {"mainnet": "main", "testnet": "test", "testnet4": "test", "signet": "signet", "regtest": "regtest"}


def _mismatch(message: str) -> InvalidAttestation:
    return InvalidAttestation(message, reason=Reason.ADDRESS_MISMATCH)


def network_params(network: str) -> dict[str, Any]:
    """embit's parameters of an lnd network name; an unknown name is undecidable."""
    if network not in NETWORK_NAMES:
        raise CannotVerify(f"unknown network {network!r}; expected one of {sorted(NETWORK_NAMES)}", reason=Reason.UNSUPPORTED_NETWORK)
    params: dict[str, Any] = NETWORKS[NETWORK_NAMES[network]]
    return params


def script_address(script_pubkey: bytes, network: str) -> str:
    """The address of a standard scriptPubKey on `network`; ``ADDRESS_MISMATCH`` if it has none."""
    try:
        address: str = Script(script_pubkey).address(network_params(network))
    except ValueError:
        raise _mismatch(f"scriptPubKey {script_pubkey.hex()} has no standard address") from None
    return address


def address_script(address: str, network: str) -> bytes:
    """The scriptPubKey of a canonical `address` on `network`, else ``ADDRESS_MISMATCH``."""
    params = network_params(network)
    if not isinstance(address, str) or not address.isascii():
        raise _mismatch(f"address {address!r} is not an ASCII string")
    try:
        script = address_to_scriptpubkey(address)
        again = script.address(params)
    except Exception:  # noqa: BLE001 - every decoding failure means "not a valid address"
        raise _mismatch(f"{address!r} is not a valid {network} address") from None
    if again != address:
        raise _mismatch(f"{address!r} is not a canonical {network} address (re-encodes as {again!r})")
    data: bytes = script.data
    return data


def descriptor_script(descriptor: str, network: str) -> bytes:
    """The scriptPubKey a non-ranged output descriptor derives; checks its checksum when present.

    ``addr(ADDRESS)`` and ``raw(HEX)`` (what ``scantxoutset`` reports for address scans) are
    accepted too; they name a script without saying anything about keys.
    """
    body, _, check = descriptor.partition("#")
    try:
        expected = descriptor_checksum(body)
    except Exception:  # noqa: BLE001 - characters outside the descriptor alphabet
        raise _mismatch(f"descriptor {descriptor!r} has characters no descriptor can have") from None
    if check and expected != check:
        raise _mismatch(f"descriptor {descriptor!r} has a wrong checksum")
    if body.startswith("addr(") and body.endswith(")"):
        return address_script(body[5:-1], network)
    if body.startswith("raw(") and body.endswith(")"):
        hex_text = body[4:-1]
        if not hex_text or len(hex_text) % 2 or any(c not in "0123456789abcdef" for c in hex_text):
            raise _mismatch(f"descriptor {descriptor!r}: raw() needs lower-case hex")
        return bytes.fromhex(hex_text)
    try:
        parsed = Descriptor.from_string(body)
    except Exception as exc:  # noqa: BLE001
        raise CannotVerify(f"descriptor {body!r} cannot be parsed ({exc})", reason=Reason.UNSUPPORTED_DESCRIPTOR) from None
    if parsed.is_wildcard:
        raise _mismatch(f"descriptor {body!r} is ranged (has a wildcard); give the derived descriptor of the UTXO")
    derived: bytes = parsed.script_pubkey().data
    return derived
