"""Model files: round trips, every way a corrupt file is refused, and saves that never tear."""

from __future__ import annotations

import codecs
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from nn import MLP, Layer, ModelFileError, Module, Neuron, saving

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("make", [
    lambda: Neuron(3, activation="sigmoid", rng=1),
    lambda: Layer(3, 2, activation="tanh", rng=1),
    lambda: MLP(2, [4, 4, 1], rng=1),
    lambda: MLP(2, [2, 2], activation=["sigmoid", "sigmoid"], rng=1),
    lambda: MLP(3, [2, 1], activation="leaky_relu", rng=1),
])
def test_round_trip(tmp_path: Path, make: Any) -> None:
    model, other = make(), make()
    for p in other.parameters():
        p.data += 1.0
    path = tmp_path / "model.json"
    model.save(path)
    other.load(path)
    assert other.get_weights() == model.get_weights()
    fresh = nn.load(str(path))
    assert type(fresh) is type(model)
    assert fresh.architecture() == model.architecture()
    assert fresh.get_weights() == model.get_weights()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_file_records_architecture_and_is_plain_json(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    MLP(2, [3, 1], activation="tanh", rng=0).save(path)
    document = json.loads(path.read_text())
    assert document["format"] == "kuibu.nn" and document["version"] == 1
    assert document["architecture"] == {
        "type": "MLP", "nin": 2, "nouts": [3, 1], "activations": ["tanh", "linear"]}


def _saved(tmp_path: Path) -> tuple[MLP, Path, dict[str, Any]]:
    model = MLP(2, [3, 1], rng=0)
    path = tmp_path / "m.json"
    model.save(path)
    return model, path, json.loads(path.read_text())


def _edited(document: dict[str, Any], change: Any) -> str:
    copy = json.loads(json.dumps(document))
    change(copy)
    return json.dumps(copy)


def _text(text: str) -> Any:
    """A change that replaces the whole file with `text`."""
    return ("raw", text)


def _replace(old: str, new: str) -> Any:
    """A change of the saved text (for what json.dumps cannot write): `old` becomes `new`."""
    return ("text", old, new)


# (name, change of the saved document or its text, field, message); field None: the whole file.
CASES: list[tuple[str, Any, str | None, str]] = [
    ("empty", _text(""), "line 1 column 1", "not valid JSON \\(the file looks truncated\\)"),
    ("truncated", "half", r"line \d+ column \d+", "the file looks truncated"),
    ("not an object", _text("[1, 2]"), None, "expected a JSON object.*got list"),
    ("missing weights", lambda d: d.pop("weights"), None, "missing \\['weights'\\]"),
    ("extra key", lambda d: d.update(extra=1), None, "unexpected \\['extra'\\]"),
    ("wrong format", lambda d: d.update(format="pickle"), "format", "is 'pickle'"),
    ("format not a str", lambda d: d.update(format=[1]), "format", "is \\[1\\]"),
    ("wrong version", lambda d: d.update(version=2), "version", "2 is not supported"),
    ("version a bool", lambda d: d.update(version=True), "version", "True is not supported"),
    ("version a float", lambda d: d.update(version=1.5), "version", "1.5 is not supported"),
    ("architecture a list", lambda d: d.update(architecture=[]), "architecture",
     "must be a JSON object, not list"),
    ("unknown type", lambda d: d["architecture"].update(type="CNN"), "architecture.type",
     "unknown module type 'CNN'"),
    ("type missing", lambda d: d["architecture"].pop("type"), "architecture.type",
     "unknown module type None"),
    ("field missing", lambda d: d["architecture"].pop("nouts"), "architecture",
     "keys for a MLP: missing \\['nouts'\\]"),
    ("field extra", lambda d: d["architecture"].update(bias=True), "architecture",
     "unexpected \\['bias'\\]"),
    ("other type", lambda d: d["architecture"].update(type="Layer"), "architecture",
     "missing \\['nout', 'activation'\\], unexpected \\['activations', 'nouts'\\]"),
    ("nin a str", lambda d: d["architecture"].update(nin="2"), "architecture.nin",
     "must be a positive int, not str '2'"),
    ("nin zero", lambda d: d["architecture"].update(nin=0), "architecture.nin",
     "must be a positive int, not int 0"),
    ("nin a bool", lambda d: d["architecture"].update(nin=True), "architecture.nin",
     "not bool True"),
    ("nin a float", lambda d: d["architecture"].update(nin=2.0), "architecture.nin",
     "not float 2.0"),
    ("nouts a str", lambda d: d["architecture"].update(nouts="3"), "architecture.nouts",
     "must be a non-empty list"),
    ("nouts empty", lambda d: d["architecture"].update(nouts=[]), "architecture.nouts",
     "must be a non-empty list"),
    ("a size negative", lambda d: d["architecture"].update(nouts=[3, -1]),
     "architecture.nouts\\[1\\]", "must be a positive int"),
    ("activations short", lambda d: d["architecture"].update(activations=["relu"]),
     "architecture.activations", "expected 2 names \\(one per layer\\), got 1"),
    ("unknown activation", lambda d: d["architecture"].update(activations=["gelu", "linear"]),
     "architecture.activations\\[0\\]", "unknown activation 'gelu'"),
    ("activation not a str", lambda d: d["architecture"].update(activations=[1, "linear"]),
     "architecture.activations\\[0\\]", "unknown activation 1"),
    ("weights not a list", lambda d: d.update(weights={"a": 1}), "weights",
     "must be a list of 2 layers, not dict"),
    ("a layer short", lambda d: d["weights"].pop(), "weights",
     "expected 2 layers, got 1"),
    ("a neuron short", lambda d: d["weights"][0].pop(), "weights\\[0\\]",
     "expected 3 rows \\(one per neuron\\), got 2"),
    ("a weight short", lambda d: d["weights"][1][0].pop(), "weights\\[1\\]\\[0\\]",
     "expected 4 numbers \\(3 weights then the bias\\), got 3"),
    ("a row a number", lambda d: d["weights"][0].__setitem__(1, 0.5), "weights\\[0\\]\\[1\\]",
     "must be a list of 3 numbers.*not float 0.5"),
    ("a string", lambda d: d["weights"][0][2].__setitem__(1, "0.5"),
     "weights\\[0\\]\\[2\\]\\[1\\]", "expected a number, got str '0.5'"),
    ("a null", lambda d: d["weights"][0][2].__setitem__(0, None), "weights\\[0\\]\\[2\\]\\[0\\]",
     "got NoneType"),
    ("a bool", lambda d: d["weights"][1][0].__setitem__(3, True), "weights\\[1\\]\\[0\\]\\[3\\]",
     "got bool"),
    ("a nested list", lambda d: d["weights"][1][0].__setitem__(3, [1.0]),
     "weights\\[1\\]\\[0\\]\\[3\\]", "got list"),
    ("a 401-digit integer", "9" * 401, "weights\\[0\\]\\[0\\]\\[0\\]",
     "is inf; a model file holds only finite numbers"),
    ("a 1e999 literal", "1e999", "weights\\[0\\]\\[0\\]\\[0\\]", "is inf"),
    ("NaN", "NaN", "weights\\[0\\]\\[0\\]\\[0\\]", "is nan; a model file holds only finite"),
    ("Infinity", "Infinity", "weights\\[0\\]\\[0\\]\\[0\\]", "is inf"),
    ("-Infinity", "-Infinity", "weights\\[0\\]\\[0\\]\\[0\\]", "is -inf"),
    ("NaN as the version", _replace('"version": 1', '"version": NaN'), "version",
     "nan is not supported"),
    ("nested 1,000 deep", _text("[" * 1000 + "]" * 1000), None, "nested too deeply"),
    ("nested 100,000 deep", _text("[" * 100_000 + "]" * 100_000), None, "nested too deeply"),
    ("a byte 0xff", "0xff", "byte 1", "0xff is not UTF-8 text"),
    ("UTF-16", "utf-16", None, "is UTF-16 or UTF-32 text; a model file is UTF-8"),
    ("UTF-16 without a mark", "utf-16-le", None, "is UTF-16 or UTF-32 text"),
]


def _corrupt(path: Path, document: dict[str, Any], change: Any) -> None:
    text = path.read_text()
    first = repr(document["weights"][0][0][0])
    if change == "half":
        path.write_text(text[: len(text) // 2])
    elif change in ("NaN", "Infinity", "-Infinity", "1e999", "9" * 401):
        path.write_text(text.replace(first, change, 1))
    elif change == "0xff":
        path.write_bytes(b"{\xff" + text.encode()[1:])
    elif change == "utf-16":
        path.write_bytes(text.encode("utf-16"))
    elif change == "utf-16-le":
        path.write_bytes(text.encode("utf-16-le"))
    elif isinstance(change, tuple) and change[0] == "raw":
        path.write_text(change[1])
    elif isinstance(change, tuple):
        _, old, new = change
        assert old in text
        path.write_text(text.replace(old, new, 1))
    else:
        path.write_text(_edited(document, change))


@pytest.mark.parametrize(("name", "change", "field", "message"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_corrupt_file_is_refused_naming_the_file_and_field(
    tmp_path: Path, name: str, change: Any, field: str | None, message: str
) -> None:
    _, path, document = _saved(tmp_path)
    _corrupt(path, document, change)
    target = MLP(2, [3, 1], rng=9)
    before = target.get_weights()
    for load in (target.load, nn.load):
        with pytest.raises(ModelFileError, match=message) as caught:
            load(path)
        error = caught.value
        assert error.path == str(path) and str(error).startswith(f"{path}: ")
        if field is None:
            assert error.field is None
        else:
            assert error.field is not None and re.fullmatch(field, error.field)
            assert f": {error.field}: " in str(error)
    assert target.get_weights() == before


def test_a_file_of_another_architecture_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    MLP(2, [4, 1], activation="tanh", rng=0).save(path)
    target = MLP(2, [3, 1], rng=9)
    before = target.get_weights()
    with pytest.raises(ModelFileError, match=(
        "architecture: does not match this model \\(activations: file has \\['tanh', 'linear'\\], "
        "model has \\['relu', 'linear'\\]; nouts: file has \\[4, 1\\], model has \\[3, 1\\]\\)"
    )):
        target.load(path)
    assert target.get_weights() == before


def test_sizes_with_no_weights_are_refused_before_anything_is_built(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"format": "kuibu.nn", "version": 1, "architecture": {
        "type": "MLP", "nin": 3000, "nouts": [3000, 1], "activations": ["relu", "linear"]},
        "weights": []}))
    assert path.stat().st_size < 160
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match="weights: expected 2 layers, got 0"):
        nn.load(path)
    assert time.perf_counter() - start < 0.1
    # The same sizes with one full row and the rest missing: refused at the first short layer.
    path.write_text(json.dumps({"format": "kuibu.nn", "version": 1, "architecture": {
        "type": "Layer", "nin": 10**9, "nout": 10**9, "activation": "relu"},
        "weights": [[0.0, 0.0]]}))
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match="weights: expected 1000000000 rows"):
        nn.load(path)
    assert time.perf_counter() - start < 0.1


def test_only_regular_files_are_read_and_a_fifo_never_blocks(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="is a directory; a model file is a regular file"):
        nn.load(tmp_path)
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            nn.load(fifo)
            outcome.append(None)
        except BaseException as e:
            outcome.append(e)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=5)
    if worker.is_alive():  # unblock the reader so the test run can end, then fail
        with open(fifo, "w"):
            pass
        pytest.fail("loading a FIFO blocked")
    assert isinstance(outcome[0], ModelFileError)
    assert "is a FIFO (named pipe)" in str(outcome[0])


def test_missing_file_is_the_usual_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        MLP(2, [1], rng=0).load(tmp_path / "nothing.json")
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.json")


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    model, path, _ = _saved(tmp_path)
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    assert nn.load(path).get_weights() == model.get_weights()


def test_the_error_pickles_with_its_fields() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(ModelFileError("m.json", "weights[0]", "is short")))
    assert (error.path, error.field, str(error)) == ("m.json", "weights[0]",
                                                     "m.json: weights[0]: is short")


_VALID = MLP(2, [2, 1], activation="tanh", rng=0)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(["set", "insert", "delete"]),
                                st.integers(0, 10_000), st.integers(0, 255)),
                      min_size=1, max_size=4),
       cut=st.none() | st.integers(0, 10_000))
def test_mutated_files_load_or_raise_only_the_model_file_error(
    tmp_path: Path, edits: list[tuple[str, int, int]], cut: int | None
) -> None:
    path = tmp_path / "fuzz.json"
    _VALID.save(path)
    data = bytearray(path.read_bytes())
    for kind, position, byte in edits:
        i = position % (len(data) + 1)
        if kind == "insert":
            data.insert(i, byte)
        elif data and kind == "set":
            data[min(i, len(data) - 1)] = byte
        elif data:
            del data[min(i, len(data) - 1)]
    if cut is not None:
        del data[cut % (len(data) + 1):]
    path.write_bytes(bytes(data))
    target = MLP(2, [2, 1], activation="tanh", rng=5)
    before = target.get_weights()
    try:
        module = nn.load(path)
    except ModelFileError as e:
        assert e.path == str(path)
    else:
        assert isinstance(module, Module)
        assert all(math.isfinite(p.data) for p in module.parameters())
    try:
        target.load(path)
    except ModelFileError:
        assert target.get_weights() == before


# -- saving ------------------------------------------------------------------------------------


def test_saving_a_diverged_model_is_refused(tmp_path: Path) -> None:
    model = MLP(2, [2, 1], rng=0)
    model.layers[0].neurons[1].w[0].data = math.inf
    path = tmp_path / "m.json"
    with pytest.raises(ValueError, match=r"layer0\.neuron1\.w0 is inf"):
        model.save(path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, path, _ = _saved(tmp_path)
    before = path.read_bytes()

    def broken_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_disk)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [3, 1], rng=5).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]
    monkeypatch.undo()
    with pytest.raises(ModelFileError, match="is a directory; save writes only a regular file"):
        model.save(tmp_path)  # the target is a folder: refused before anything is written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_a_new_file_gets_the_usual_permissions_and_a_replaced_one_keeps_its_own(
    tmp_path: Path
) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    path = tmp_path / "m.json"
    MLP(2, [1], rng=0).save(path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    MLP(2, [1], rng=1).save(path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_concurrent_saves_from_threads_never_raise(tmp_path: Path) -> None:
    path = tmp_path / "shared.json"
    models = [MLP(2, [3, 1], rng=seed) for seed in range(2)]
    errors: list[BaseException] = []

    def save_many(model: MLP) -> None:
        try:
            for _ in range(150):
                model.save(path)
        except BaseException as e:
            errors.append(e)

    workers = [threading.Thread(target=save_many, args=(m,)) for m in models]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert nn.load(path).get_weights() in [m.get_weights() for m in models]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.json"]


_WRITER = """
import sys, time
from nn import MLP
model = MLP(2, [8, 8, 1], rng=int(sys.argv[2]))
end = time.monotonic() + float(sys.argv[3])
count = 0
while time.monotonic() < end:
    model.save(sys.argv[1])
    count += 1
print(count)
"""


def test_two_processes_saving_while_a_reader_loads(tmp_path: Path) -> None:
    path = tmp_path / "shared.json"
    models = [MLP(2, [8, 8, 1], rng=seed) for seed in (1, 2)]
    models[0].save(path)
    expected = [m.get_weights() for m in models]
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(seed), "2.0"],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True)
               for seed in (1, 2)]
    loads = 0
    try:
        while any(w.poll() is None for w in writers):
            assert nn.load(path).get_weights() in expected
            loads += 1
    finally:
        outputs = [w.communicate(timeout=30)[0] for w in writers]
    assert [w.returncode for w in writers] == [0, 0]
    assert all(int(out) > 0 for out in outputs) and loads > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.json"]


# -- what save never touches -------------------------------------------------------------------


def _special_files(tmp_path: Path) -> dict[str, Path]:
    """A FIFO and a socket made here (never a real device: saving over /dev/null as root would
    replace the machine's), and links to them and to a folder."""
    if os.name != "posix":
        pytest.skip("FIFOs, sockets and symbolic links as POSIX has them")
    import socket

    made = {"fifo": tmp_path / "fifo", "socket": tmp_path / "sock", "folder": tmp_path / "dir"}
    os.mkfifo(made["fifo"])
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(made["socket"]))
    server.close()  # the socket file stays
    made["folder"].mkdir()
    for kind in ("fifo", "socket", "folder"):
        link = tmp_path / f"link-to-{kind}"
        link.symlink_to(made[kind])
        made[f"link-to-{kind}"] = link
    return made


def test_save_refuses_fifos_sockets_folders_and_links_to_them(tmp_path: Path) -> None:
    made = _special_files(tmp_path)
    before = {p.name: (p.lstat().st_mode, p.lstat().st_ino) for p in tmp_path.iterdir()}
    expected = {"fifo": "a FIFO", "socket": "a socket", "folder": "a directory",
                "link-to-fifo": "a link to a FIFO", "link-to-socket": "a link to a socket",
                "link-to-folder": "a link to a directory"}
    model = MLP(2, [1], rng=0)
    for kind, path in made.items():
        with pytest.raises(ModelFileError, match=f"is {expected[kind]}") as caught:
            model.save(path)  # a FIFO must be refused, not opened: this would block
        assert caught.value.path == str(path)
    after = {p.name: (p.lstat().st_mode, p.lstat().st_ino) for p in tmp_path.iterdir()}
    assert after == before  # nothing replaced, nothing left behind


def test_save_follows_a_link_to_a_regular_file_and_keeps_the_link(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("symbolic links as POSIX has them")
    real = tmp_path / "models" / "real.json"
    real.parent.mkdir()
    MLP(2, [1], rng=0).save(real)
    link = tmp_path / "current.json"
    link.symlink_to(real)
    model = MLP(2, [1], rng=1)
    model.save(link)
    assert link.is_symlink() and link.resolve() == real
    assert nn.load(real).get_weights() == model.get_weights()
    dangling = tmp_path / "next.json"
    dangling.symlink_to(tmp_path / "models" / "new.json")
    model.save(dangling)  # as open() does: the file the link names is created
    assert dangling.is_symlink() and nn.load(tmp_path / "models" / "new.json")


@pytest.mark.parametrize("length", [200, 236, 242, 250, 255])
def test_names_up_to_the_file_systems_limit_can_be_saved(tmp_path: Path, length: int) -> None:
    name = "m" * (length - len(".json")) + ".json"
    assert len(name.encode()) == length
    model = MLP(2, [1], rng=0)
    model.save(tmp_path / name)
    assert nn.load(tmp_path / name).get_weights() == model.get_weights()
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_name_of_multibyte_characters_near_the_limit(tmp_path: Path) -> None:
    name = "模" * 83 + ".json"  # 249 + 5 bytes: a cut inside a character must not break it
    model = MLP(2, [1], rng=0)
    model.save(tmp_path / name)
    model.save(tmp_path / name)
    assert [p.name for p in tmp_path.iterdir()] == [name]


_KILLED = """
import os, sys
from nn import saving
real_fsync = os.fsync
def die(fd):
    real_fsync(fd)
    os.kill(os.getpid(), 9)  # killed between writing the temporary file and the rename
os.fsync = die
saving.write({"x": list(range(1000))}, sys.argv[1])
"""


@pytest.mark.parametrize("length", [10, 250])
def test_a_temporary_file_left_by_a_killed_save_is_removed_by_the_next(
    tmp_path: Path, length: int
) -> None:
    path = tmp_path / ("m" * (length - 5) + ".json")
    MLP(2, [1], rng=0).save(path)
    done = subprocess.run([sys.executable, "-c", _KILLED, str(path)], cwd=ROOT, timeout=60)
    assert done.returncode == -9
    left = [p.name for p in tmp_path.iterdir() if p != path]
    assert len(left) == 1 and left[0].endswith(".tmp") and left[0].startswith(".")
    assert len(left[0].encode()) <= max(len(path.name.encode()), len(path.name) + 20)
    head = saving._head(str(tmp_path), path.name)
    unrelated = [tmp_path / f".{head}.backup.tmp", tmp_path / "notes.tmp",
                 tmp_path / f".{head}.kuibu-ABCDEFGH.tmp", tmp_path / f".{head}.kuibu-abc.tmp",
                 tmp_path / ".other.json.kuibu-abcdefgh.tmp"]
    for p in unrelated:
        p.write_text("not kuibu's")
    model = MLP(2, [1], rng=1)
    model.save(path)
    assert nn.load(path).get_weights() == model.get_weights()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name,
                                                                 *(p.name for p in unrelated)])


def test_a_save_in_progress_is_never_taken_for_a_leftover(tmp_path: Path) -> None:
    """A temporary file whose save is still running holds a lock: the cleaner leaves it; once
    its process is gone, it goes. An empty one might be a save that has not locked it yet: it
    goes only when old."""
    if saving.fcntl is None:
        pytest.skip("file locks (the fallback is the file's age)")
    path = tmp_path / "m.json"
    head = saving._head(str(tmp_path), path.name)
    fd, temporary = saving._temporary(str(tmp_path), head)
    try:
        os.write(fd, b"{")
        saving._remove_leftovers(str(tmp_path), head)
        assert os.path.exists(temporary)
    finally:
        os.close(fd)
    saving._remove_leftovers(str(tmp_path), head)
    assert not os.path.exists(temporary)
    fd, temporary = saving._temporary(str(tmp_path), head)
    os.close(fd)
    saving._remove_leftovers(str(tmp_path), head)
    assert os.path.exists(temporary)
    old = time.time() - saving._STALE_SECONDS - 1
    os.utime(temporary, (old, old))
    saving._remove_leftovers(str(tmp_path), head)
    assert not os.path.exists(temporary)
