"""Tests for mnist_data: IDX parsing, checksums, cache, downloads, CLI, and the real data.

Most tests build small synthetic IDX .gz files in tmp_path and drive the internal
pipeline (mnist_data.dataset) with their own FileSpecs, because synthetic files
cannot match the canonical checksums. The public load_mnist is tested with the
real files from MNIST_DATA_DIR; those tests FAIL (not skip) when it is unset.

No test touches the network: an autouse fixture points the mirror list at a
closed localhost port, and download tests run their own http.server on 127.0.0.1.
No test writes into MNIST_DATA_DIR or mnist_data/cache/: MNIST_CACHE_DIR and the
default data folder are redirected into tmp_path.
"""
import gzip
import hashlib
import http.server
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from mnist_data import MNISTError, book_format, cache_paths, dataset, download, files, load_mnist
from mnist_data import __main__ as cli
from mnist_data.errors import DamagedFileError
from mnist_data.files import MNIST_FILES, FileSpec
from mnist_data.idx import IDXError, gunzip, parse_images, parse_labels

REAL_DIR = os.environ.get("MNIST_DATA_DIR")  # captured before fixtures clear it
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
NAMES = {s.key: s.name for s in MNIST_FILES}


# ---------------------------------------------------------------- synthetic files

def idx_images(n, seed=0, magic=2051, rows=28, cols=28, extra=b"", cut=0):
    """Bytes of an IDX image file with n random images; extra/cut spoil the payload."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=n * rows * cols, dtype=np.uint8).tobytes()
    raw = struct.pack(">IIII", magic, n, rows, cols) + pixels + extra
    return raw[: len(raw) - cut]


def idx_labels(n, seed=0, magic=2049, extra=b"", cut=0, values=None):
    labels = np.random.default_rng(seed + 1).integers(0, 10, size=n, dtype=np.uint8) if values is None else values
    raw = struct.pack(">II", magic, n) + np.asarray(labels, np.uint8).tobytes() + extra
    return raw[: len(raw) - cut]


def gz(raw):
    return gzip.compress(raw, mtime=0)


def spec_for(key, data, count=None):
    """A FileSpec matching the given .gz bytes (so checksums pass)."""
    kind = "images" if key.startswith("x") else "labels"
    return FileSpec(key, NAMES[key], kind, count, len(data), hashlib.sha256(data).hexdigest())


def write_set(folder, n_train=6, n_test=4, seed=0, replace=None):
    """Write four synthetic .gz files into folder and return matching specs.

    replace: optional dict key -> .gz bytes used instead of the good file.
    """
    contents = {
        "x_train": gz(idx_images(n_train, seed)),
        "t_train": gz(idx_labels(n_train, seed)),
        "x_test": gz(idx_images(n_test, seed + 2)),
        "t_test": gz(idx_labels(n_test, seed + 2)),
    }
    contents.update(replace or {})
    folder.mkdir(parents=True, exist_ok=True)
    for key, data in contents.items():
        (folder / NAMES[key]).write_bytes(data)
    return tuple(spec_for(s.key, contents[s.key]) for s in MNIST_FILES)


def book_parse(path, kind):
    """The book's own way of reading a .gz file (dataset/mnist.py), for comparison."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if kind == "images":
        return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 784)
    return np.frombuffer(raw, np.uint8, offset=8)


def book_convert(x, t, normalize, flatten, one_hot_label):
    """The book's load_mnist post-processing, written as the book writes it."""
    x = x.reshape(-1, 784).copy()
    if normalize:
        x = x.astype(np.float32)
        x /= 255.0
    if one_hot_label:
        T = np.zeros((t.size, 10))
        for idx, row in enumerate(T):
            row[t[idx]] = 1
        t = T
    if not flatten:
        x = x.reshape(-1, 1, 28, 28)
    return x, t


def flip(data, start, stop):
    """data with the bytes in [start, stop) inverted."""
    return data[:start] + bytes(b ^ 0xFF for b in data[start:stop]) + data[stop:]


def snapshot(folder):
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Keep every test off the network, away from MNIST_DATA_DIR and the package cache."""
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "npy-cache"))
    monkeypatch.setattr(files, "PACKAGE_CACHE_DIR", tmp_path / "package-cache")
    monkeypatch.setattr(download, "MIRRORS", (f"http://127.0.0.1:{closed_port()}/mnist/",))
    monkeypatch.setattr(download, "TIMEOUT", 2.0)


# ---------------------------------------------------------------- IDX parser

def test_parse_good_images_and_labels():
    x = parse_images(idx_images(3, seed=5), count=3)
    t = parse_labels(idx_labels(3, values=[0, 9, 4]), count=3)
    assert x.shape == (3, 28, 28) and x.dtype == np.uint8
    expected = np.random.default_rng(5).integers(0, 256, size=3 * 784, dtype=np.uint8).reshape(3, 28, 28)
    np.testing.assert_array_equal(x, expected)
    assert t.tolist() == [0, 9, 4] and t.dtype == np.uint8


@pytest.mark.parametrize(
    "raw, parser, message",
    [
        (idx_images(2, magic=2049), parse_images, "magic number is 2049, expected 2051"),
        (idx_labels(2, magic=2051), parse_labels, "magic number is 2051, expected 2049"),
        (idx_images(2, rows=27), parse_images, "27x28"),
        (idx_images(2, cut=1), parse_images, "truncated"),
        (idx_labels(2, cut=1), parse_labels, "truncated"),
        (idx_images(2, extra=b"\0"), parse_images, "1 unexpected trailing bytes"),
        (idx_labels(2, extra=b"\0\0"), parse_labels, "2 unexpected trailing bytes"),
        (idx_images(2)[:10], parse_images, "shorter than the 16-byte IDX header"),
        (idx_labels(2, values=[3, 10]), parse_labels, "label value 10 is out of range"),
    ],
)
def test_parse_rejects_malformed(raw, parser, message):
    with pytest.raises(IDXError, match=message):
        parser(raw)


def test_parse_checks_count_against_expected():
    with pytest.raises(IDXError, match="header says 5 images, expected 6"):
        parse_images(idx_images(5), count=6)


@pytest.mark.parametrize(
    "data, message",
    [
        (idx_labels(3), "not a gzip file"),
        (gz(idx_labels(300))[:-20], "truncated"),
        (flip(gz(idx_images(2)), 20, 40), "corrupt"),
    ],
    ids=["not-gzip", "truncated-gzip", "corrupt-gzip"],
)
def test_gunzip_rejects_bad_streams(data, message):
    with pytest.raises(IDXError, match=message):
        gunzip(data)


# ---------------------------------------------------------------- pipeline on synthetic files

def test_load_arrays_reads_synthetic_set(tmp_path):
    specs = write_set(tmp_path / "data", n_train=6, n_test=4)
    arrays, cached = dataset.load_arrays(tmp_path / "data", specs)
    for key in ("x_train", "t_train", "x_test", "t_test"):
        kind = "images" if key.startswith("x") else "labels"
        expected = book_parse(tmp_path / "data" / NAMES[key], kind)
        np.testing.assert_array_equal(np.asarray(arrays[key]).reshape(expected.shape), expected)
        assert cached[key].parent == tmp_path / "npy-cache"
    assert arrays["x_train"].shape == (6, 28, 28) and arrays["t_test"].shape == (4,)


@pytest.mark.parametrize(
    "key, bad, reason",
    [
        ("x_train", gz(idx_images(6, magic=2049)), "magic number is 2049"),
        ("t_train", gz(idx_labels(6, magic=2051)), "magic number is 2051"),
        ("x_test", gz(idx_images(4, cut=100)), "truncated"),
        ("t_test", gz(idx_labels(4, extra=b"xyz")), "trailing bytes"),
        ("x_train", gz(idx_images(6))[:-30], "gzip stream is truncated"),
        ("t_train", b"<html>Not Found</html>", "not a gzip file"),
    ],
    ids=["bad-magic-images", "bad-magic-labels", "truncated-payload", "trailing-bytes", "truncated-gzip", "not-gzip"],
)
def test_bad_file_is_rejected_naming_file_and_remedy(tmp_path, key, bad, reason):
    specs = write_set(tmp_path / "data", replace={key: bad})
    with pytest.raises(DamagedFileError) as info:
        dataset.load_arrays(tmp_path / "data", specs)
    message = str(info.value)
    assert str(tmp_path / "data" / NAMES[key]) in message
    assert reason in message
    assert "python -m mnist_data download" in message and "MNIST_DATA_DIR" in message
    assert "\n" not in message
    assert not list((tmp_path / "npy-cache").glob(NAMES[key][:-3] + "*"))  # never cached


def test_mismatched_image_and_label_counts(tmp_path):
    specs = write_set(tmp_path / "data", replace={"t_train": gz(idx_labels(5))})
    with pytest.raises(MNISTError, match="holds 6 images but .*holds 5 labels") as info:
        dataset.load_arrays(tmp_path / "data", specs)
    assert NAMES["x_train"] in str(info.value) and NAMES["t_train"] in str(info.value)


def test_wrong_checksum_same_size_is_rejected(tmp_path):
    specs = write_set(tmp_path / "data")
    specs = tuple(s._replace(sha256="0" * 64) if s.key == "t_test" else s for s in specs)
    with pytest.raises(DamagedFileError, match="SHA-256 is [0-9a-f]{64}, expected 0{64}") as info:
        dataset.load_arrays(tmp_path / "data", specs)
    assert info.value.path == tmp_path / "data" / NAMES["t_test"]


def test_public_api_rejects_non_canonical_file(tmp_path):
    write_set(tmp_path / "data")  # synthetic files under the canonical names
    with pytest.raises(DamagedFileError) as info:
        load_mnist(data_dir=tmp_path / "data")
    message = str(info.value)
    assert str(tmp_path / "data" / NAMES["x_train"]) in message
    assert "expected 9,912,422" in message and "MNIST_DATA_DIR" in message


def test_file_damaged_after_caching_is_not_used(tmp_path):
    specs = write_set(tmp_path / "data")
    dataset.load_arrays(tmp_path / "data", specs)  # builds the cache
    path = tmp_path / "data" / NAMES["x_test"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # same size, one bit flipped
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedFileError, match="SHA-256"):
        dataset.load_arrays(tmp_path / "data", specs)


# ---------------------------------------------------------------- missing files, offline

def test_missing_data_dir_offline_names_folder_and_env(tmp_path):
    folder = tmp_path / "no-such-folder"
    with pytest.raises(MNISTError) as info:
        load_mnist(data_dir=folder)
    message = str(info.value)
    assert str(folder) in message and "does not exist" in message
    assert "MNIST_DATA_DIR" in message and "downloading failed" in message
    assert "\n" not in message
    assert not folder.exists()  # a failed attempt leaves nothing behind


def test_missing_files_via_env_var(tmp_path, monkeypatch):
    folder = tmp_path / "empty"
    folder.mkdir()
    monkeypatch.setenv("MNIST_DATA_DIR", str(folder))
    with pytest.raises(MNISTError, match=r"missing from .*empty \(set by MNIST_DATA_DIR\)"):
        load_mnist()
    assert list(folder.iterdir()) == []


def test_missing_files_default_location(tmp_path):
    with pytest.raises(MNISTError) as info:
        load_mnist()
    assert str(tmp_path / "package-cache") in str(info.value)
    assert "MNIST_DATA_DIR is not set" in str(info.value)


def test_only_missing_files_are_listed(tmp_path):
    specs = write_set(tmp_path / "data")
    (tmp_path / "data" / NAMES["t_test"]).unlink()
    with pytest.raises(MNISTError, match=f"{NAMES['t_test']} is missing from"):
        dataset.load_arrays(tmp_path / "data", specs)


# ---------------------------------------------------------------- cache

def test_cached_load_uses_cache_and_matches(tmp_path, monkeypatch):
    specs = write_set(tmp_path / "data")
    first, paths = dataset.load_arrays(tmp_path / "data", specs)
    # A second load must not decompress or parse again.
    monkeypatch.setattr(dataset, "parse_file", lambda *a: pytest.fail("cache was not used"))
    second, paths2 = dataset.load_arrays(tmp_path / "data", specs)
    assert paths == paths2
    for key in first:
        assert isinstance(second[key], np.memmap)
        np.testing.assert_array_equal(first[key], second[key])


def test_stale_cache_is_rebuilt_when_source_changes(tmp_path):
    old_specs = write_set(tmp_path / "data", seed=0)
    _, old_paths = dataset.load_arrays(tmp_path / "data", old_specs)
    new_specs = write_set(tmp_path / "data", seed=7)  # the source files change
    arrays, new_paths = dataset.load_arrays(tmp_path / "data", new_specs)
    expected = book_parse(tmp_path / "data" / NAMES["x_train"], "images")
    np.testing.assert_array_equal(np.asarray(arrays["x_train"]).reshape(-1, 784), expected)
    assert new_paths["x_train"] != old_paths["x_train"]
    assert not old_paths["x_train"].exists()  # old version pruned


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[:-50]),
        lambda p: p.write_bytes(p.read_bytes()[:40]),
        lambda p: p.write_bytes(p.read_bytes() + b"junk"),
        lambda p: p.write_bytes(b"not an npy file at all"),
        lambda p: p.write_bytes(b""),
        lambda p: np.save(p, np.zeros((6, 28, 28), np.float32)),
        lambda p: np.save(p, np.zeros((5, 28, 28), np.uint8)),
        lambda p: p.unlink(),
    ],
    ids=["truncated", "header-only", "trailing", "garbage", "empty", "wrong-dtype", "wrong-count", "deleted"],
)
def test_damaged_cache_is_rebuilt(tmp_path, damage):
    good = write_set(tmp_path / "data")
    specs = tuple(s._replace(count=6 if s.key.endswith("train") else 4) for s in good)
    _, paths = dataset.load_arrays(tmp_path / "data", specs)
    good_bytes = paths["x_train"].read_bytes()
    damage(paths["x_train"])
    arrays, paths2 = dataset.load_arrays(tmp_path / "data", specs)
    expected = book_parse(tmp_path / "data" / NAMES["x_train"], "images")
    np.testing.assert_array_equal(np.asarray(arrays["x_train"]).reshape(-1, 784), expected)
    assert paths2["x_train"].read_bytes() == good_bytes  # rewritten on disk


def test_cache_never_written_into_data_dir(tmp_path):
    specs = write_set(tmp_path / "data")
    before = snapshot(tmp_path / "data")
    dataset.load_arrays(tmp_path / "data", specs)
    dataset.load_arrays(tmp_path / "data", specs)
    assert snapshot(tmp_path / "data") == before


def test_cache_falls_back_to_user_dir_when_package_dir_unwritable(tmp_path, monkeypatch):
    # Running as root makes chmod useless; a path below a regular file can never be created.
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setattr(files, "PACKAGE_CACHE_DIR", blocker / "cache")
    monkeypatch.delenv("MNIST_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    specs = write_set(tmp_path / "data")
    _, paths = dataset.load_arrays(tmp_path / "data", specs)
    assert all(p.parent == tmp_path / "xdg" / "mnist_data" for p in paths.values())
    assert not (blocker / "cache").exists()


def test_load_works_without_any_writable_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("MNIST_CACHE_DIR", str(blocker / "cache"))
    specs = write_set(tmp_path / "data")
    arrays, paths = dataset.load_arrays(tmp_path / "data", specs)
    assert set(paths.values()) == {None}
    assert arrays["x_train"].shape == (6, 28, 28)


def test_cache_dir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "elsewhere"))
    specs = write_set(tmp_path / "data")
    _, paths = dataset.load_arrays(tmp_path / "data", specs)
    assert {p.parent for p in paths.values()} == {tmp_path / "elsewhere"}
    assert not (tmp_path / "package-cache").exists()


# ---------------------------------------------------------------- book format

@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("flatten", [True, False])
@pytest.mark.parametrize("one_hot_label", [True, False])
def test_book_format_matches_book(tmp_path, normalize, flatten, one_hot_label):
    specs = write_set(tmp_path / "data", n_train=6, n_test=4)
    arrays, _ = dataset.load_arrays(tmp_path / "data", specs)
    x, t = book_format(arrays["x_train"], arrays["t_train"], normalize, flatten, one_hot_label)
    bx, bt = book_convert(book_parse(tmp_path / "data" / NAMES["x_train"], "images"),
                          book_parse(tmp_path / "data" / NAMES["t_train"], "labels"),
                          normalize, flatten, one_hot_label)
    assert x.shape == ((6, 784) if flatten else (6, 1, 28, 28))
    assert x.dtype == (np.float32 if normalize else np.uint8)
    assert t.shape == ((6, 10) if one_hot_label else (6,))
    assert t.dtype == (np.float64 if one_hot_label else np.uint8)
    assert bx.dtype == x.dtype and bt.dtype == t.dtype
    np.testing.assert_array_equal(x, bx)  # bit-identical, including the float32 division
    np.testing.assert_array_equal(t, bt)


def test_book_format_returns_writable_copies(tmp_path):
    specs = write_set(tmp_path / "data")
    arrays, paths = dataset.load_arrays(tmp_path / "data", specs)
    arrays, _ = dataset.load_arrays(tmp_path / "data", specs)  # now memmaps of the cache
    x, t = book_format(arrays["x_train"], arrays["t_train"], normalize=False)
    x[:] = 0
    t[:] = 0
    assert np.load(paths["x_train"]).any() and np.asarray(arrays["x_train"]).any()


@pytest.mark.parametrize("kwargs", [{"normalize": "yes"}, {"flatten": 1}, {"one_hot_label": None}])
def test_load_mnist_rejects_non_bool_flags(kwargs):
    with pytest.raises(TypeError, match="must be True or False"):
        load_mnist(**kwargs)


def test_load_mnist_rejects_bad_data_dir_type():
    with pytest.raises(TypeError, match="data_dir must be"):
        load_mnist(data_dir=42)


def test_book_format_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="not N images with N labels"):
        book_format(np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        book_format(np.zeros((3, 784)), np.zeros(3, np.uint8))


# ---------------------------------------------------------------- downloads (local server only)

class MirrorServer(http.server.ThreadingHTTPServer):
    """Serves routes {url path: (behaviour, body)} on 127.0.0.1; behaviours:
    'ok' (body sent in two halves, calling on_half between them) or 'hang' (sleep body seconds)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), MirrorHandler)
        self.routes = {}
        self.on_half = None
        self.requests = []

    def url(self, prefix):
        return f"http://127.0.0.1:{self.server_address[1]}/{prefix}/"


class MirrorHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        behaviour, body = self.server.routes.get(self.path, (None, None))
        if behaviour is None:
            self.send_error(404)
            return
        if behaviour == "hang":
            time.sleep(body)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        if self.server.on_half:
            self.server.on_half()
        self.wfile.write(body[len(body) // 2:])

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror():
    server = MirrorServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_download_skips_bad_mirrors_and_renames_only_after_verification(tmp_path, mirror, capsys):
    good = gz(idx_labels(50))
    spec = spec_for("t_test", good)
    wrong_same_size = bytes(len(good))
    mirror.routes = {
        f"/bad/{spec.name}": ("ok", wrong_same_size),
        f"/short/{spec.name}": ("ok", good[:-10]),
        f"/big/{spec.name}": ("ok", good + good),
        f"/good/{spec.name}": ("ok", good),
    }
    dest = tmp_path / "data"
    seen = []

    def during_good_transfer():
        if len(mirror.requests) < 5:
            return  # only observe the final, good mirror
        deadline = time.monotonic() + 5
        while not list(dest.glob(".*.part")) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(((dest / spec.name).exists(), [p.name for p in dest.glob(".*.part")]))

    mirror.on_half = during_good_transfer
    mirrors = [mirror.url("missing"), mirror.url("bad"), mirror.url("short"), mirror.url("big"), mirror.url("good")]
    path = download.fetch(spec, dest, mirrors=mirrors, timeout=5, progress=True)

    assert path == dest / spec.name and path.read_bytes() == good
    assert [r.split("/")[1] for r in mirror.requests] == ["missing", "bad", "short", "big", "good"]
    final_existed, temp_files = seen[0]
    assert not final_existed and len(temp_files) == 1  # written under a temporary name first
    assert sorted(p.name for p in dest.iterdir()) == [spec.name]  # temp files cleaned up
    err = capsys.readouterr().err
    assert spec.name in err and "100%" in err  # tqdm progress bar was drawn


@pytest.mark.parametrize("route", ["bad", "short", "big", "missing"])
def test_download_with_only_bad_mirror_leaves_nothing(tmp_path, mirror, route):
    good = gz(idx_labels(50))
    spec = spec_for("t_test", good)
    bodies = {"bad": bytes(len(good)), "short": good[:-1], "big": good + b"\0"}
    if route in bodies:
        mirror.routes = {f"/{route}/{spec.name}": ("ok", bodies[route])}
    dest = tmp_path / "data"
    dest.mkdir()
    with pytest.raises(download.DownloadError, match=f"could not download {spec.name} from any of 1 mirror"):
        download.fetch(spec, dest, mirrors=[mirror.url(route)], timeout=5, progress=False)
    assert list(dest.iterdir()) == []


def test_download_times_out_on_hanging_mirror_and_moves_on(tmp_path, mirror):
    good = gz(idx_labels(20))
    spec = spec_for("t_test", good)
    mirror.routes = {f"/hang/{spec.name}": ("hang", 3.0), f"/good/{spec.name}": ("ok", good)}
    path = download.fetch(spec, tmp_path, mirrors=[mirror.url("hang"), mirror.url("good")], timeout=0.3,
                          progress=False)
    assert path.read_bytes() == good


def test_load_downloads_missing_files_from_mirror_list(tmp_path, mirror, monkeypatch):
    specs = write_set(tmp_path / "source")
    for spec in specs:
        mirror.routes[f"/good/{spec.name}"] = ("ok", (tmp_path / "source" / spec.name).read_bytes())
    monkeypatch.setattr(download, "MIRRORS", (mirror.url("offline"), mirror.url("good")))
    arrays, _ = dataset.load_arrays(tmp_path / "fresh", specs, progress=False)
    for spec in specs:
        assert (tmp_path / "fresh" / spec.name).read_bytes() == (tmp_path / "source" / spec.name).read_bytes()
    assert arrays["t_train"].shape == (6,)


# ---------------------------------------------------------------- CLI (in-process, no network)

def test_cli_info_lists_folders_and_files(tmp_path, capsys):
    write_set(tmp_path / "data")
    (tmp_path / "data" / NAMES["t_test"]).unlink()
    assert cli.main(["info", "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert f"data folder:  {tmp_path / 'data'}" in out
    assert f"missing  {NAMES['t_test']}" in out
    assert f"present  {NAMES['x_train']}" in out and "BAD" in out  # synthetic, not canonical
    assert f"cache folder: {tmp_path / 'npy-cache'} (set by MNIST_CACHE_DIR)" in out


def test_cli_download_offline_is_one_line_exit_2(tmp_path, capsys):
    assert cli.main(["download", "--data-dir", str(tmp_path / "d"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(tmp_path / "d") in err and "MNIST_DATA_DIR" in err


def test_cli_download_fetches_into_data_dir(tmp_path, mirror, monkeypatch, capsys):
    # The CLI always uses the canonical specs, so serve synthetic bytes under patched specs.
    specs = write_set(tmp_path / "source")
    for spec in specs:
        mirror.routes[f"/good/{spec.name}"] = ("ok", (tmp_path / "source" / spec.name).read_bytes())
    monkeypatch.setattr(download, "MIRRORS", (mirror.url("good"),))
    monkeypatch.setattr(cli, "MNIST_FILES", specs)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / specs[0].name).write_bytes((tmp_path / "source" / specs[0].name).read_bytes())
    assert cli.main(["download", "--data-dir", str(tmp_path / "d"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"present     {specs[0].name}" in out and f"downloaded  {specs[3].name}" in out
    assert len(mirror.requests) == 3  # the present file was not fetched again


# ---------------------------------------------------------------- real MNIST (MNIST_DATA_DIR)

@pytest.fixture(scope="module")
def real_dir():
    if not REAL_DIR:
        pytest.fail("MNIST_DATA_DIR is not set: point it at the folder with the four MNIST .gz files "
                    "(CI uses /work/shared/mnist)", pytrace=False)
    folder = Path(REAL_DIR)
    missing = [s.name for s in MNIST_FILES if not (folder / s.name).is_file()]
    if missing:
        pytest.fail(f"MNIST_DATA_DIR={folder} lacks {', '.join(missing)}", pytrace=False)
    return folder


@pytest.fixture(scope="module")
def real_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("real-npy-cache")


@pytest.fixture
def real(real_dir, real_cache, monkeypatch):
    """MNIST_DATA_DIR set to the real data, with a cache shared by this module's tests."""
    monkeypatch.setenv("MNIST_DATA_DIR", str(real_dir))
    monkeypatch.setenv("MNIST_CACHE_DIR", str(real_cache))
    return real_dir


@pytest.fixture(scope="module")
def real_book(real_dir):
    """The real training and test arrays read the book's way, independently of mnist_data."""
    return {
        key: book_parse(real_dir / NAMES[key], "images" if key.startswith("x") else "labels")
        for key in ("x_train", "t_train", "x_test", "t_test")
    }


def test_real_default_load(real, real_book):
    before = snapshot(real)
    (x_train, t_train), (x_test, t_test) = load_mnist()
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert t_train.shape == (60000,) and t_test.shape == (10000,) and t_train.dtype == np.uint8
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert np.bincount(t_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(t_test, minlength=10).tolist() == TEST_COUNTS
    bx, _ = book_convert(real_book["x_train"], real_book["t_train"], True, True, False)
    np.testing.assert_array_equal(x_train, bx)
    assert abs(float(x_train.mean()) - 0.1307) < 5e-4
    assert snapshot(real) == before  # the (shared, read-only) data folder is never written


def test_real_raw_unflattened_one_hot(real, real_book):
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=False, flatten=False, one_hot_label=True)
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    assert x_train.dtype == np.uint8 and x_train.max() == 255
    np.testing.assert_array_equal(x_test.reshape(-1, 784), real_book["x_test"])
    assert t_train.shape == (60000, 10) and t_test.shape == (10000, 10) and t_train.dtype == np.float64
    assert (t_train.sum(axis=1) == 1).all() and set(np.unique(t_train)) == {0.0, 1.0}
    np.testing.assert_array_equal(t_test.argmax(axis=1), real_book["t_test"])


def test_real_explicit_data_dir_argument(real_dir, real_cache, monkeypatch):
    monkeypatch.setenv("MNIST_CACHE_DIR", str(real_cache))  # MNIST_DATA_DIR stays unset
    (x_train, t_train), _ = load_mnist(normalize=False, data_dir=real_dir)
    assert x_train.dtype == np.uint8 and t_train.shape == (60000,)


def test_real_cache_paths_are_mmappable(real, real_book):
    paths = cache_paths()
    assert set(paths) == {"x_train", "t_train", "x_test", "t_test"}
    x = np.load(paths["x_train"], mmap_mode="r")
    t = np.load(paths["t_test"], mmap_mode="r")
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8 and t.shape == (10000,)
    np.testing.assert_array_equal(t, real_book["t_test"])
    bx, bt = book_format(x, np.load(paths["t_train"], mmap_mode="r"))
    assert bx.shape == (60000, 784) and bt.shape == (60000,)


def test_real_cache_paths_without_writable_cache_is_an_error(real, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("MNIST_CACHE_DIR", str(blocker / "cache"))
    with pytest.raises(MNISTError, match="cannot write the MNIST cache .*MNIST_CACHE_DIR"):
        cache_paths()


def run_cli(*args, env_extra, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("MNIST_DATA_DIR", "MNIST_CACHE_DIR")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "mnist_data", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_real_cli_verify_passes(real_dir, tmp_path):
    result = run_cli("verify", env_extra={"MNIST_DATA_DIR": str(real_dir),
                                          "MNIST_CACHE_DIR": str(tmp_path / "c")}, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok    ") == 4 and result.stderr == ""


def test_real_cli_verify_fails_on_broken_dir(real_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for spec in MNIST_FILES[:3]:
        (broken / spec.name).symlink_to(real_dir / spec.name)
    (broken / MNIST_FILES[3].name).write_bytes((real_dir / MNIST_FILES[3].name).read_bytes()[:-100])
    result = run_cli("verify", env_extra={"MNIST_DATA_DIR": str(broken),
                                          "MNIST_CACHE_DIR": str(tmp_path / "c")}, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.count("ok    ") == 3
    assert f"FAIL  {MNIST_FILES[3].name}: it is 4,442 bytes, expected 4,542" in result.stdout
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "1 of 4 files failed" in result.stderr


def test_cli_verify_missing_folder_is_user_error(tmp_path):
    result = run_cli("verify", "--data-dir", str(tmp_path / "nowhere"),
                     env_extra={"MNIST_CACHE_DIR": str(tmp_path / "c")}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert str(tmp_path / "nowhere") in result.stderr
