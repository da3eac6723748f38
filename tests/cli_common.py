"""Shared parts of the genwire command-line tool's tests (suite cli):
running the built binary, recording TAP cases, the layer lists, a key file,
and the stall helper.  test-cli.py, test-cli-stream.py and test-cli-proto.py
import it; each script is one meson test, so the three run side by side.

Each script is run as SCRIPT PATH-TO-GENWIRE; this module reads the path
from sys.argv[1] and makes the scratch directory each script removes at the
end through run_cases().
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

GENWIRE = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="gw-cli-")
KEY = os.path.join(TMP, "k.key")
SANITIZED = os.environ.get("GW_SANITIZE", "none") not in ("", "none")
results = []


def gw(*args, data=b"", check=None):
    """Runs genwire with data on standard input; returns (status, out, err)."""
    p = subprocess.run([GENWIRE, *args], input=data, capture_output=True)
    if check is not None and p.returncode != check:
        raise AssertionError("genwire %s: status %d, want %d; stderr: %s"
                             % (" ".join(args), p.returncode, check, p.stderr.decode(errors="replace")))
    return p.returncode, p.stdout, p.stderr


def case(fn):
    """Runs one test case and records ok / not ok, and how long it took."""
    start = time.monotonic()
    try:
        fn()
        results.append((True, fn.__name__, "", time.monotonic() - start))
    except Exception as e:  # noqa: BLE001 - every failure is reported
        results.append((False, fn.__name__, repr(e), time.monotonic() - start))
    return fn



def records_text(n, seed):
    rnd = random.Random(seed)
    lines = []
    for i in range(n):
        k = rnd.choice([0, 1, 5, 30, 200, 3000])
        lines.append("".join(rnd.choice("abcdefghij klmnop\t{}\"\\é€") for _ in range(k)))
    return lines


BYTE_LAYERS = ["secretstream", "gzip", "zlib", "deflate", "chunked"]
RECORD_LAYERS = ["u8", "u16be", "u16le", "u32be", "u32le", "u64be", "u64le", "varint", "lines",
                 "netstring"]


def keyargs(stack):
    return ["--key", KEY] if "secretstream" in stack else []



def ensure_key():
    """Writes KEY with `genwire keygen` unless it exists (test_keygen in
    test-cli.py checks keygen itself)."""
    if not os.path.exists(KEY):
        gw("keygen", KEY, check=0)


def first_output_within(args, first, rest, enough, deadline=30, took=None):
    """Starts genwire with args, writes `first` to its standard input and
    keeps that input open: returns what genwire wrote to standard output
    once enough(what it wrote) is true, or when `deadline` seconds have
    passed (a bound for a loaded machine, not a latency requirement: the
    property is that the output comes while the input stalls, before its
    end).  Then writes `rest`, closes its input and checks that it exits 0.
    With a list `took`, appends the seconds from writing `first` until
    enough() held (None if it never did)."""
    import select
    import time
    p = subprocess.Popen([GENWIRE, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        p.stdin.write(first)
        p.stdin.flush()
        start = time.monotonic()
        got, end = b"", start + deadline
        while not enough(got):
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([p.stdout], [], [], left)
            if not r:
                break
            chunk = os.read(p.stdout.fileno(), 1 << 20)
            if not chunk:
                break
            got += chunk
        if took is not None:
            took.append(time.monotonic() - start if enough(got) else None)
        p.stdin.write(rest)
        p.stdin.close()
        p.stdout.read()
        assert p.wait(10) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return got


def at_least(want):
    """An `enough` for first_output_within: as many bytes as `want` has."""
    return lambda got: len(got) >= len(want)


def run_cases(namespace):
    """Runs every test_* function of namespace in definition order, prints
    TAP with each case's time, removes TMP, and exits 0 when all passed."""
    for name, fn in list(namespace.items()):
        if name.startswith("test_") and callable(fn):
            case(fn)
    print("1..%d" % len(results))
    for i, (ok, name, why, secs) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if not ok:
            print("# " + why.replace("\n", "\n# "))
        print("# %.2f s" % secs)
    shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(0 if all(r[0] for r in results) else 1)
