"""A bundle is hostile input: each trick is refused with its own reason, and nothing crashes.

Every case goes through ``blastwall evidence verify``: exit 1 with one line on
stderr, never a traceback. The fuzz tests drive ``verify_bundle`` itself: its
only outcomes are a verdict, intact or refused.
"""

from __future__ import annotations

import json
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.merkle import merkle_root
from bot.evidence.bundle import ENTRIES, MANIFEST, REPORT, write_bundle
from bot.evidence.canonical import canonical
from bot.evidence.chain import GENESIS, seal
from bot.evidence.report import render_report
from bot.evidence.signing import public_key_pem
from bot.evidence.verify import verify_bundle
from tests.evidence.bundles import (
    INCIDENT,
    KEY,
    blastwall,
    entries,
    export,
    ledger,
    members,
    notes,
    repack,
    rewrite,
)

Capture = pytest.CaptureFixture[str]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return export(tmp_path / "bundle.zip", ledger(), sizes=(2, 4))


def _refused(capsys: Capture, path: Path, reason: str) -> None:
    code, out, err = blastwall(capsys, "evidence", "verify", path)
    assert code == 1, out
    assert err.startswith("NOT VERIFIED: ") and "Traceback" not in err
    assert reason in err, err


def _raw_zip(dest: Path, items: list[tuple[str, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate; that is the point
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in items:
                archive.writestr(name, data)
    return dest


def _declare_size(path: Path, member: str, size: int) -> None:
    """Make the central directory claim ``size`` uncompressed bytes for ``member``."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + length] == member.encode():
            data[at + 24 : at + 28] = size.to_bytes(4, "little")
            path.write_bytes(bytes(data))
            return
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{member} not in {path}")


def test_duplicate_member_names_are_refused(bundle: Path, tmp_path: Path, capsys: Capture) -> None:
    files = members(bundle)
    twice = _raw_zip(tmp_path / "d.zip", [*files.items(), (ENTRIES, b"forged\n")])
    _refused(capsys, twice, "two members named 'entries.jsonl'")


def test_a_member_declaring_gigabytes_is_refused_before_reading(
    bundle: Path, tmp_path: Path, capsys: Capture
) -> None:
    big = tmp_path / "big.zip"
    big.write_bytes(bundle.read_bytes())
    _declare_size(big, REPORT, 3 * 1024**3)
    _refused(capsys, big, "member report.md declares 3221225472 bytes, more than")


def test_a_zip_bomb_is_refused(bundle: Path, tmp_path: Path, capsys: Capture) -> None:
    files = members(bundle)
    files[REPORT] = bytes(8 * 1024 * 1024)
    bomb = _raw_zip(tmp_path / "bomb.zip", list(files.items()))
    assert bomb.stat().st_size < 100_000
    _refused(capsys, bomb, "member report.md is too compressed")


def test_a_header_that_understates_the_size_is_refused(
    bundle: Path, tmp_path: Path, capsys: Capture
) -> None:
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bundle.read_bytes())
    _declare_size(liar, ENTRIES, 10)
    code, _, err = blastwall(capsys, "evidence", "verify", liar)
    assert code == 1 and "NOT VERIFIED" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "name", ["../entries.jsonl", "/etc/passwd", "checkpoints\\000001.note", "C:/x", "a/../b"]
)
def test_path_like_names_are_refused(
    bundle: Path, tmp_path: Path, capsys: Capture, name: str
) -> None:
    path = _raw_zip(tmp_path / "p.zip", [*members(bundle).items(), (name, b"x")])
    _refused(capsys, path, "is a path outside the bundle")


@pytest.mark.parametrize("name", ["checkpoints/1.note", "notes.txt", "proofs/", "report.md.bak"])
def test_unexpected_names_are_refused(
    bundle: Path, tmp_path: Path, capsys: Capture, name: str
) -> None:
    path = _raw_zip(tmp_path / "u.zip", [*members(bundle).items(), (name, b"x")])
    _refused(capsys, path, "does not belong in a bundle")


@pytest.mark.parametrize(("field", "found"), [("entries", 6), ("checkpoints", 3), ("proofs", 2)])
def test_manifest_counts_must_match_the_contents(
    bundle: Path, tmp_path: Path, capsys: Capture, field: str, found: int
) -> None:
    files = members(bundle)
    manifest = json.loads(files[MANIFEST])
    manifest[field] += 1
    files[MANIFEST] = canonical(manifest)
    path = repack(files, tmp_path / "c.zip", fix_manifest=False)
    _refused(capsys, path, f"counts {found + 1} {field} but the bundle holds {found}")


def test_checkpoint_numbers_with_a_gap_are_refused(
    bundle: Path, tmp_path: Path, capsys: Capture
) -> None:
    def gap(files: dict[str, bytes]) -> None:
        files["checkpoints/000004.note"] = files.pop("checkpoints/000003.note")
        files["proofs/000004.consistency"] = files.pop("proofs/000003.consistency")

    _refused(capsys, rewrite(bundle, tmp_path / "g.zip", gap), "checkpoints/000004.note")


def test_checkpoints_out_of_order_are_refused(
    bundle: Path, tmp_path: Path, capsys: Capture
) -> None:
    files = members(bundle)
    notes_first = [n for n in files if n.startswith("checkpoints/")]
    order = [n for n in files if n not in notes_first] + list(reversed(notes_first))
    path = repack({n: files[n] for n in order}, tmp_path / "o.zip")
    _refused(capsys, path, "checkpoints/000003.note is out of order")


def test_a_bent_consistency_proof_is_refused(bundle: Path, tmp_path: Path, capsys: Capture) -> None:
    def bend(files: dict[str, bytes]) -> None:
        lines = files["proofs/000002.consistency"].split(b"\n")
        lines[1] = b"A" * 43 + b"="
        files["proofs/000002.consistency"] = b"\n".join(lines)

    _refused(
        capsys,
        rewrite(bundle, tmp_path / "b.zip", bend),
        "does not prove that checkpoint 2 extends checkpoint 1",
    )
    missing = rewrite(bundle, tmp_path / "m.zip", lambda f: f.pop("proofs/000003.consistency"))
    _refused(capsys, missing, "1 consistency proofs for 3 checkpoints")


def test_a_report_that_lies_is_refused(bundle: Path, tmp_path: Path, capsys: Capture) -> None:
    def lie(files: dict[str, bytes]) -> None:
        files[REPORT] = files[REPORT].replace(b"step 2", b"all fine")

    path = rewrite(bundle, tmp_path / "r.zip", lie, fix_report=False)
    _refused(capsys, path, "report.md does not say what the entries say")


def _signed_bundle(path: Path, bodies: list[dict[str, object]]) -> Path:
    lines, previous = [], GENESIS
    for seq, body in enumerate(bodies, start=1):
        sealed = seal({"incident": INCIDENT, **body}, seq, previous)
        lines.append(sealed.line)
        previous = sealed.hash
    signed = notes(lines, [len(lines)])
    write_bundle(path, INCIDENT, lines, signed, public_key_pem(KEY), render_report(INCIDENT, lines))
    return path


def test_a_whole_float_beyond_2_53_is_refused_not_a_crash(tmp_path: Path, capsys: Capture) -> None:
    path = _signed_bundle(tmp_path / "f.zip", [{"what": "alert", "details": {"score": 1e16}}])
    _refused(capsys, path, "holds a whole number of 2^53 or more")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"seq":NaN}', "has no canonical form"),
        (b"[" * 5000 + b"]" * 5000, "is not JSON"),
        (b'{"a":1,"a":2}', "is not the canonical form"),
        (b'"just a string"', "is not the canonical form of an entry"),
        (b"\xff\xfe", "is not JSON"),
        (b"1" * 5000, "is not JSON"),
    ],
    ids=["nan", "deep", "duplicate-key", "not-object", "not-utf8", "huge-int"],
)
def test_odd_json_in_an_entry_is_refused(
    bundle: Path, tmp_path: Path, capsys: Capture, line: bytes, reason: str
) -> None:
    path = rewrite(
        bundle, tmp_path / "j.zip", entries(lambda ls: [*ls[:2], line, *ls[3:]]), fix_report=False
    )
    _refused(capsys, path, reason)


def test_a_seq_of_true_is_not_a_sequence_number(tmp_path: Path, capsys: Capture) -> None:
    line = canonical({"incident": INCIDENT, "seq": True, "prev_hash": GENESIS, "hash": "x"})
    lines = [line]
    signed = notes(lines, [1])
    path = tmp_path / "t.zip"
    write_bundle(path, INCIDENT, lines, signed, public_key_pem(KEY), render_report(INCIDENT, lines))
    _refused(capsys, path, "line 1 has no valid sequence number")
    assert merkle_root(lines)  # the tree itself does not care; the chain does


# --- fuzzing: the only outcomes are "intact" or a clean refusal ---------------------------

_FUZZ_DIR = Path(tempfile.mkdtemp(prefix="bw-fuzz-"))
_SEED = export(_FUZZ_DIR / "seed.zip", ledger(5), sizes=(1, 3))


def _outcome(data: bytes) -> None:
    target = _FUZZ_DIR / "case.zip"
    target.write_bytes(data)
    verdict = verify_bundle(target)
    assert isinstance(verdict.reason, str) and verdict.reason


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_are_refused_cleanly(data: bytes) -> None:
    target = _FUZZ_DIR / "random.zip"
    target.write_bytes(data)
    assert not verify_bundle(target).ok


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
def test_flipped_bytes_in_a_bundle_never_crash_the_verifier(
    flips: list[tuple[int, int]],
) -> None:
    data = bytearray(_SEED.read_bytes())
    for at, value in flips:
        data[at % len(data)] = value
    _outcome(bytes(data))


_NAMES = sorted(members(_SEED))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_NAMES),
    st.binary(max_size=512) | st.text(max_size=200).map(str.encode),
    st.integers(0, 4096),
    st.booleans(),
)
def test_mutated_members_never_crash_the_verifier(
    name: str, junk: bytes, at: int, fix_manifest: bool
) -> None:
    files = members(_SEED)
    original = files[name]
    files[name] = original[: at % (len(original) + 1)] + junk
    _outcome(_repacked(files, fix_manifest))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values, min_size=1, max_size=4))
def test_odd_entry_values_never_crash_the_verifier(values: list[object]) -> None:
    lines = [json.dumps({"incident": INCIDENT, "seq": 1, "v": v}).encode() for v in values]
    files = members(_SEED)
    files[ENTRIES] = b"".join(line + b"\n" for line in lines)
    _outcome(_repacked(files, True))


def _repacked(files: dict[str, bytes], fix_manifest: bool) -> bytes:
    target = _FUZZ_DIR / "repacked.zip"
    try:
        repack(dict(files), target, fix_manifest, fix_report=False)
    except (ValueError, KeyError, RecursionError):
        repack(dict(files), target, False)
    return target.read_bytes()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_odd_witness_logs_and_priors_never_crash_the_verifier(log: str, prior: bytes) -> None:
    seed_note = members(_SEED)["checkpoints/000002.note"].decode()
    origin = seed_note.split("\n")[0]
    kept = _FUZZ_DIR / "prior.note"
    kept.write_bytes(prior[:150] + seed_note.encode()[len(prior) % 40 :] if prior else prior)
    verdict = verify_bundle(_SEED, prior=kept, witness_log=f"{log} {origin} {log}")
    assert isinstance(verdict.ok, bool) and verdict.reason
