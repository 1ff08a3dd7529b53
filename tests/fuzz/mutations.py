"""Deterministic mutations of input files for the CLI fuzz test: structure-aware for JSON, JSON
Lines, TOML and CSV, byte-level for everything, with the hostile values that crashed or stalled
the readers before (huge exponents, 5,000-digit numbers, 5,000-deep nesting, lone surrogates,
backtracking globs) among ordinary wrong values (types, signs, empties, duplicates)."""

from __future__ import annotations

import json
import random
from typing import Any

DEEP = 5000
# Raw JSON texts spliced in place of a value.
HOSTILE_JSON = [
    "1e999999", "1e9999999999999999999", "1e999991", "-1e999999", "1E-999999", "1e64", "1e65", "0e-99999",
    "9" * 5000, "-" + "9" * 5000, '"' + "9" * 5000 + '"', '"' + "1" * 21 + '"', "1" * 41, "1." + "0" * 40 + "1",
    "1.000000000000000000000000000000001", "0.000000001", "21000000.00000001", "-0", "-0.0", "0.1", "1.5",
    "NaN", "Infinity", "-Infinity", "true", "false", "null", '""', '"x"', '"-5"', '"00"', '"0x10"', "[]", "{}",
    "[1]", '{"a": 1}', "-1", str(2**53), str(2**64), str(2**63 - 1), str(2**32), '"\\ud800"', '"a\\udfffb"',
    '"\\udc00\\ud800"', '"\\ud83d\\ude00"', '"\\u0000"', '"' + "a" * 70_000 + '"', "[" * DEEP + "]" * DEEP,
    '{"a":' * 3000 + "1" + "}" * 3000, "[" * 70 + "]" * 70, '"1e999999"', '"2026-02-30T00:00:00Z"',
]
HOSTILE_KEYS = ["\\ud800", "", "a" * 300, "format", "v", "type", "__proto__"]
GLOB_PIECES = ["*", "**", "?", "*****************", "Z", "a", ":", "Liabilities", "*a", "?*?**", "***", "\\ud800", "[", "é"]
# Globs that backtracked for minutes before runs of wildcards were collapsed and bounded.
HOSTILE_GLOBS = ["Liabilities:*****************Z", "**:*****************Z", "Liabilities:*a*a*a*a*a*a*a*a*a*Z", "**a**a**a**a**Z",
                 "Liabilities:?*?**?*?**a*Z", "*" * 300, "Liabilities:" + "?" * 250 + "*"]
BYTES = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", b"\n", b'"', b"\\", b"{", b"[", b",", b"\r\n", b"\x1b[31m"]


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value[:50]):
            out.extend(_paths(item, (*path, index)))
    return out


_MARK = "\u0001fuzz\u0001"


def mutate_json(rnd: random.Random, text: str) -> str:
    """Replace one value (or key) of the JSON document `text` with a hostile one, as raw text."""
    doc = json.loads(text)
    path = rnd.choice(_paths(doc))
    raw = rnd.choice(HOSTILE_JSON)
    if not path:
        return raw
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    action = rnd.random()
    if isinstance(parent, dict) and action < 0.15:
        del parent[last]
        return json.dumps(doc)
    if isinstance(parent, dict) and action < 0.3:
        value = parent.pop(last)
        parent[_MARK] = value
        return json.dumps(doc).replace(json.dumps(_MARK), '"' + rnd.choice(HOSTILE_KEYS) + '"')
    if isinstance(parent, dict) and action < 0.38:
        # A duplicated key: the first or the second reading must not win silently.
        body = json.dumps(doc)
        item = json.dumps({last: parent[last]})[1:-1]
        return body[:-1] + ("," if len(body) > 2 else "") + item + "}" if body.endswith("}") else body
    parent[last] = _MARK
    return json.dumps(doc).replace(json.dumps(_MARK), raw, 1)


def mutate_bytes(rnd: random.Random, data: bytes) -> bytes:
    """A byte-level change: truncation, a flipped byte, spliced bytes or a repeated slice."""
    if not data:
        return rnd.choice(BYTES)
    i = rnd.randrange(len(data) + 1)
    kind = rnd.randrange(6)
    if kind == 0:
        return data[:i]
    if kind == 1 and i < len(data):
        return data[:i] + bytes([data[i] ^ (1 << rnd.randrange(8))]) + data[i + 1:]
    if kind == 2:
        return data[:i] + rnd.choice(BYTES) + data[i:]
    if kind == 3:
        j = rnd.randrange(i, len(data) + 1)
        return data[:j] + data[i:j] * rnd.randint(1, 3) + data[j:]
    if kind == 4:
        return data[:i] + rnd.choice(HOSTILE_JSON).encode() + data[i:]
    return b""


def mutate_jsonl(rnd: random.Random, data: bytes) -> bytes:
    lines = data.decode().splitlines()
    k = rnd.randrange(len(lines))
    lines[k] = mutate_json(rnd, lines[k])
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def random_glob(rnd: random.Random) -> str:
    return "".join(rnd.choice(GLOB_PIECES) for _ in range(rnd.randint(1, 12)))


def mutate_toml(rnd: random.Random, data: bytes) -> bytes:
    text = data.decode()
    kind = rnd.randrange(5)
    if kind <= 1:  # a glob of any shape where the file has one
        quoted = [i for i in range(len(text)) if text.startswith('path = "', i)]
        if quoted:
            # A hostile glob goes where the command under test reads it (the first definition).
            start = (quoted[0] if kind == 0 else rnd.choice(quoted)) + len('path = "')
            end = text.index('"', start)
            glob = rnd.choice(HOSTILE_GLOBS) if kind == 0 else random_glob(rnd)
            return (text[:start] + glob + text[end:]).encode("utf-8", "surrogatepass")
    if kind == 2:
        value = rnd.choice(["[" * DEEP + "]" * DEEP, "9" * 5000, "1e999999", '"\\ud800"', "{a = " * 500 + "1" + "}" * 500,
                            '"' + "*" * 5000 + '"', "nan", "inf", "[]", "{}", "true", '"x"'])
        lines = text.splitlines()
        k = rnd.randrange(len(lines))
        if "=" in lines[k]:
            lines[k] = lines[k].split("=", 1)[0] + "= " + value
        return "\n".join(lines).encode()
    if kind == 3:
        lines = text.splitlines()
        del lines[rnd.randrange(len(lines))]
        return "\n".join(lines).encode()
    return mutate_bytes(rnd, data)


def mutate_csv(rnd: random.Random, data: bytes) -> bytes:
    lines = data.decode().splitlines()
    k = rnd.randrange(len(lines))
    cells = lines[k].split(",")
    j = rnd.randrange(len(cells))
    cells[j] = rnd.choice(["9" * 5000, "-" + "9" * 30, "1e999999", "1.5", "", '"', '"a,b"', "x" * 200_000, "0x10", " 5",
                           "18446744073709551616", "-0", "\x00", "USD", "BTC,BTC", "NaN"])
    lines[k] = ",".join(cells)
    if rnd.random() < 0.2:
        return mutate_bytes(rnd, ("\n".join(lines) + "\n").encode())
    return ("\n".join(lines) + "\n").encode()


def mutate(rnd: random.Random, kind: str, data: bytes) -> bytes:
    """One mutation of `data`, an input of `kind` (json, jsonl, toml, csv or bin)."""
    if kind == "bin" or rnd.random() < 0.15:
        return mutate_bytes(rnd, data)
    if kind == "json":
        return mutate_json(rnd, data.decode()).encode("utf-8", "surrogatepass")
    if kind == "jsonl":
        return mutate_jsonl(rnd, data)
    if kind == "toml":
        return mutate_toml(rnd, data)
    return mutate_csv(rnd, data)
