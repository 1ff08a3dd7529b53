"""The demo bank's bitcoin keys and the signatures its operators would make (docs/SPEC.md 8.5-8.6).

Everything here is for the demo and the tests only: the keys derive from public labels
(``SHA-256("pos-demo-key " || seed || label)``), so anyone can recompute them. A real bank signs
with its cold-storage signers (BIP-322 through a PSBT-signing wallet) and with ``lncli``.

What is produced is byte-for-byte what the real tools produce:

* BIP-322 "simple" signatures (``smp`` + base64 witness) for a 2-of-3 P2WSH ``sortedmulti``
  cold-storage script, made with two of its three keys (BIP-143 sighash, low-S DER);
* lnd ``SignMessageWithAddr`` signatures (``lncli wallet addresses signmessage``: 65-byte compact
  signature, header 31-34, base64) for lnd's P2WPKH and BIP-86 P2TR wallet addresses;
* lnd node ``signmessage`` signatures (z-base-32, over ``"Lightning Signed Message:" || text``);
* BIP-322 "simple" signatures for the P2WPKH addresses of the demo's bria wallet (bria derives
  ``wpkh`` keychains by default; a real bank signs with the keys behind its bria keychain).

The verifier never signs; signing lives on the bank's side of the import boundary.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from coincurve import PrivateKey
from embit import compact
from embit.descriptor.checksum import checksum
from embit.hashes import hash160, tagged_hash
from embit.script import Script
from embit.transaction import SIGHASH

from verifier.assets import bip322, signmessage, zbase32
from verifier.assets.address import script_address

CURVE_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
NETWORK = "regtest"
BRIA_RECEIVE = 3  # receive addresses of the demo's bria wallet


def demo_key(seed: int, label: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(f"pos-demo-key {seed} {label}".encode()).digest())


def _hash160(data: bytes) -> bytes:
    return bytes(hash160(data))


def multisig_script(m: int, pubkeys: list[bytes]) -> bytes:
    """``OP_m <keys sorted> OP_n OP_CHECKMULTISIG`` (the script of ``sortedmulti``)."""
    keys = sorted(pubkeys)
    return bytes([0x50 + m]) + b"".join(b"\x21" + k for k in keys) + bytes([0x50 + len(keys), 0xAE])


def p2wsh(script: bytes) -> bytes:
    return b"\x00\x20" + hashlib.sha256(script).digest()


def p2wpkh(pubkey: bytes) -> bytes:
    return b"\x00\x14" + _hash160(pubkey)


def taproot_tweak(priv: PrivateKey) -> tuple[PrivateKey, bytes]:
    """BIP-86 key-path tweak of `priv` (no script tree): the tweaked key and the x-only output key."""
    d = priv.to_int()
    pub = priv.public_key.format()
    if pub[0] == 3:
        d = CURVE_N - d
    t = int.from_bytes(tagged_hash("TapTweak", pub[1:]), "big")
    tweaked = PrivateKey.from_int((d + t) % CURVE_N)
    return tweaked, tweaked.public_key.format()[1:]


def p2tr(priv: PrivateKey) -> bytes:
    return b"\x51\x20" + taproot_tweak(priv)[1]


def _witness_bytes(items: list[bytes]) -> bytes:
    return bytes(compact.to_bytes(len(items))) + b"".join(bytes(compact.to_bytes(len(w))) + w for w in items)


def bip322_sign_multisig(witness_script: bytes, message: str, keys: list[PrivateKey]) -> str:
    """A BIP-322 simple signature of `message` for the P2WSH of `witness_script` by `keys`."""
    script_pubkey = p2wsh(witness_script)
    spend = bip322.to_spend(message.encode(), script_pubkey)
    tx = bip322.to_sign(spend, [])
    digest = tx.sighash_segwit(0, Script(witness_script), 0, sighash=SIGHASH.ALL)
    by_pub = {k.public_key.format(): k for k in keys}
    signatures = [by_pub[pub].sign(digest, hasher=None) + b"\x01" for pub in sorted(by_pub)]
    return "smp" + base64.b64encode(_witness_bytes([b""] + signatures + [witness_script])).decode()


def bip322_sign_p2wpkh(priv: PrivateKey, message: str) -> str:
    """A BIP-322 simple signature of `message` for the P2WPKH address of `priv`."""
    pub = priv.public_key.format()
    spend = bip322.to_spend(message.encode(), p2wpkh(pub))
    tx = bip322.to_sign(spend, [])
    digest = tx.sighash_segwit(0, Script(b"\x76\xa9\x14" + _hash160(pub) + b"\x88\xac"), 0, sighash=SIGHASH.ALL)
    return "smp" + base64.b64encode(_witness_bytes([priv.sign(digest, hasher=None) + b"\x01", pub])).decode()


def _compact(priv: PrivateKey, digest: bytes) -> bytes:
    sig = priv.sign_recoverable(digest, hasher=None)
    return bytes([31 + sig[64]]) + sig[:64]


def lnd_address_sign(priv: PrivateKey, message: str) -> str:
    """``lncli wallet addresses signmessage`` (lnd SignMessageWithAddr)."""
    return base64.b64encode(_compact(priv, signmessage.bitcoin_message_digest(message.encode()))).decode()


def lnd_node_sign(priv: PrivateKey, message: str) -> str:
    """``lncli signmessage --msg`` with the node identity key (z-base-32)."""
    return zbase32.encode(_compact(priv, signmessage.lightning_message_digest(message.encode())))


@dataclass(frozen=True, slots=True)
class Address:
    address: str
    script_pubkey: bytes
    kind: str  # "cold-multisig", "lnd-p2wpkh", "lnd-p2tr", "bria-receive" or "bria-change" (P2WPKH)
    keys: tuple[PrivateKey, ...]
    witness_script: bytes | None = None


class DemoWallets:
    """The demo bank's keys: lnd's node key, two lnd wallet addresses, two 2-of-3 cold vaults, and
    bria's wallet (`BRIA_RECEIVE` receive addresses and one change address, P2WPKH)."""

    def __init__(self, seed: int = 2026, network: str = NETWORK) -> None:
        self.seed = seed
        self.network = network
        self.node = demo_key(seed, "lnd node")
        self.cold_signers = tuple(tuple(demo_key(seed, f"cold vault {v} signer {i}") for i in range(3)) for v in range(2))
        self.addresses: dict[str, Address] = {}
        for signers in self.cold_signers:
            script = multisig_script(2, [k.public_key.format() for k in signers])
            self._add(p2wsh(script), "cold-multisig", signers, script)
        wpkh = demo_key(seed, "lnd wallet p2wpkh")
        self._add(p2wpkh(wpkh.public_key.format()), "lnd-p2wpkh", (wpkh,))
        tr = demo_key(seed, "lnd wallet p2tr")
        self._add(p2tr(tr), "lnd-p2tr", (tr,))
        for i in range(BRIA_RECEIVE):
            receive = demo_key(seed, f"bria receive {i}")
            self._add(p2wpkh(receive.public_key.format()), "bria-receive", (receive,))
        change = demo_key(seed, "bria change 0")
        self._add(p2wpkh(change.public_key.format()), "bria-change", (change,))

    def _add(self, spk: bytes, kind: str, keys: tuple[PrivateKey, ...], witness_script: bytes | None = None) -> None:
        address = script_address(spk, self.network)
        self.addresses[address] = Address(address, spk, kind, keys, witness_script)

    def of_kind(self, prefix: str) -> list[Address]:
        return [a for a in self.addresses.values() if a.kind.startswith(prefix)]

    def cold_descriptor(self, address: Address) -> str:
        keys = ",".join(k.public_key.format().hex() for k in address.keys)
        body = f"wsh(sortedmulti(2,{keys}))"
        return f"{body}#{checksum(body)}"

    @property
    def node_pubkey(self) -> str:
        return self.node.public_key.format().hex()

    def prove_control(self, address: str, challenge: str) -> dict[str, str]:
        """The `proofs.json` entry for `address` over `challenge` (SPEC 8.5)."""
        known = self.addresses.get(address)
        if known is None:
            raise KeyError(f"the demo wallets hold no key for address {address}")
        if known.kind == "cold-multisig":
            assert known.witness_script is not None  # every cold-multisig address is built with its script
            # Two of the three vault signers sign, as a 2-of-3 quorum would.
            signature = bip322_sign_multisig(known.witness_script, challenge, list(known.keys[:2]))
            return {"address": address, "format": "bip322-simple", "signature": signature}
        priv = known.keys[0]
        if known.kind.startswith("bria-"):
            return {"address": address, "format": "bip322-simple", "signature": bip322_sign_p2wpkh(priv, challenge)}
        return {"address": address, "format": "lnd-signmessagewithaddr", "signature": lnd_address_sign(priv, challenge)}

    def sign_node_message(self, message: str) -> dict[str, str]:
        """What ``lncli signmessage --msg MESSAGE`` prints."""
        return {"signature": lnd_node_sign(self.node, message)}
