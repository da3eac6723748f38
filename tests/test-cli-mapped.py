#!/usr/bin/python3
"""Tests of the genwire command-line tool reading a regular file on standard
input in place (suite cli): when the wire layer is a byte layer, decode maps
the file rather than reading it (tools/run.c, stall_reader_map).  Whatever
the input, a file on standard input must give what the same bytes through a
pipe give: the same output, the same status, the same message and offset,
the valid prefix before an error, on both inflate backends; standard input
positioned inside the file is read from there; the file offset is left at
the end; the file is mapped while genwire runs, and its pages are released
as they are read; a file cut short while it is read ends genwire with status
1 and a message saying where, not SIGBUS, after the output of every read of
it that completed.  Prints TAP.

Usage: test-cli-mapped.py PATH-TO-GENWIRE (shared parts: tests/cli_common.py)
"""
import fcntl
import os
import random
import re
import select
import struct
import subprocess
import termios
import time
import zlib

from cli_common import *  # noqa: F401,F403 - gw, KEY, TMP, ensure_key

BACKENDS = ("zlib", "isal")


def gz(data, level=6):
    co = zlib.compressobj(level, zlib.DEFLATED, 31)
    return co.compress(data) + co.flush()


def text(n, seed):
    rnd = random.Random(seed)
    words = [b"w%d" % i for i in range(300)]
    out, k = [], 0
    while k < n:
        line = b" ".join(rnd.choice(words) for _ in range(12)) + b"\n"
        out.append(line)
        k += len(line)
    return b"".join(out)[:n]


def from_file(args, data, skip=b""):
    """Runs genwire with skip + data in a regular file on standard input,
    positioned after skip; returns (status, out, err)."""
    path = os.path.join(TMP, "in")
    with open(path, "wb") as f:
        f.write(skip + data)
    with open(path, "rb") as f:
        f.seek(len(skip))
        p = subprocess.run([GENWIRE, *args], stdin=f, capture_output=True)
    return p.returncode, p.stdout, p.stderr


def same_as_pipe(args, data, skip=b""):
    """A file and a pipe of the same bytes give the same status, output and
    message; returns them."""
    want = gw(*args, data=data)
    got = from_file(args, data, skip)
    assert got == want, (args, len(data), len(skip), got[0], want[0], got[2], want[2],
                         len(got[1]), len(want[1]))
    return got


def inputs():
    """(name, stack, wire, plain or None) for good and bad gzip inputs."""
    plain = text(3 << 20, 1)
    one = gz(plain)
    two = gz(plain[:100000]) + gz(plain[100000:], 1)
    bad_crc = bytearray(one)
    bad_crc[-8] ^= 0x55
    bad_data = bytearray(one)
    bad_data[len(one) // 2] ^= 0xff
    return [
        ("whole", one, plain),
        ("two members", two, plain),
        ("truncated", one[: len(one) * 2 // 3], None),
        ("trailing", one + b"junk", None),
        ("bad crc", bytes(bad_crc), None),
        ("bad data", bytes(bad_data), None),
        ("header only", one[:10], None),
    ]


def test_gzip_file_as_pipe_on_both_backends():
    for backend in BACKENDS:
        for name, wire, plain in inputs():
            status, out, err = same_as_pipe(["decode", "gzip", "--inflate-backend", backend], wire)
            if plain is not None:
                assert status == 0 and out == plain, (backend, name, status, err)
            else:
                assert status == 1 and err.startswith(b"genwire: gzip: "), (backend, name, err)


def test_valid_prefix_before_an_error():
    plain = text(3 << 20, 2)
    wire = gz(plain)
    for backend in BACKENDS:
        for cut in (len(wire) // 3, len(wire) - 9):
            status, out, err = from_file(["decode", "gzip", "--inflate-backend", backend],
                                         wire[:cut])
            assert status == 1 and b"input ends inside a gzip member" in err, (backend, err)
            assert len(out) > 0 and plain.startswith(out), (backend, cut, len(out))


def test_positioned_inside_the_file():
    # Standard input at an offset that is not a multiple of the page size,
    # one that is, and one past the first page: decoding starts there and
    # the offsets in messages count from there, as through a pipe.
    plain = text(200000, 3)
    wire = gz(plain)
    for skip in (b"x" * 5000, b"y" * 4096, b"z" * 70001):
        for backend in BACKENDS:
            args = ["decode", "gzip", "--inflate-backend", backend]
            status, out, _ = same_as_pipe(args, wire, skip)
            assert status == 0 and out == plain, (len(skip), backend)
            status, _, err = same_as_pipe(args, wire + b"!", skip)
            assert status == 1 and err.rstrip().endswith(b"at byte %d" % len(wire)), err


def test_empty_and_at_end():
    for args in (["decode", "gzip"], ["decode", "chunked"]):
        same_as_pipe(args, b"")
        same_as_pipe(args, b"", skip=b"already read")


def test_other_byte_layers_and_stacks():
    ensure_key()
    plain = text(1 << 20, 4)
    for stack in ("secretstream", "chunked", "zlib", "deflate", "secretstream,gzip,u32be",
                  "gzip,lines", "u32be"):
        extra = ["--key", KEY] if "secretstream" in stack else []
        src = plain if "u32be" not in stack and "lines" not in stack else plain[:200000]
        _, wire, _ = gw("encode", stack, *extra, data=src, check=0)
        fmt = ["--format", "raw"] if stack.endswith(("u32be", "lines")) else []
        status, out, _ = same_as_pipe(["decode", stack, *extra, *fmt], wire)
        assert status == 0 and len(out) > 0, stack
        bad = bytearray(wire)
        bad[len(bad) // 2] ^= 0x40
        same_as_pipe(["decode", stack, *extra, *fmt], bytes(bad))
        same_as_pipe(["decode", stack, *extra, *fmt], wire[: len(wire) - 3])


def test_offset_left_at_the_end():
    # As if the whole file had been read: a command after genwire reads
    # nothing more of it.
    path = os.path.join(TMP, "in")
    with open(path, "wb") as f:
        f.write(gz(b"hello\n" * 1000))
    with open(path, "rb") as f:
        p = subprocess.run(["sh", "-c", '"$0" decode gzip >/dev/null && cat', GENWIRE], stdin=f,
                           capture_output=True)
    assert p.returncode == 0 and p.stdout == b"", (p.returncode, p.stdout[:20], p.stderr)


def maps_of(pid, path):
    """The lines of /proc/PID/maps that map path."""
    with open("/proc/%d/maps" % pid) as f:
        return [line for line in f if line.rstrip().endswith(path)]


def test_file_is_mapped_and_released():
    # genwire blocks writing to a pipe nobody reads yet: the file is mapped
    # then, and once 20 MiB of output have gone (about 7 MiB of input here),
    # the first pages are unmapped.
    if not os.path.exists("/proc/self/maps"):
        return
    path = os.path.join(TMP, "big.gz")
    rnd = random.Random(5)
    block = text(1 << 20, 6)
    with open(path, "wb") as f:
        co = zlib.compressobj(1, zlib.DEFLATED, 31)
        for _ in range(40):
            f.write(co.compress(block[rnd.randrange(1 << 19):] + block))
        f.write(co.flush())
    size = os.path.getsize(path)
    with open(path, "rb") as i:
        p = subprocess.Popen([GENWIRE, "decode", "gzip"], stdin=i, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        seen, end = [], time.monotonic() + 30
        while not seen and time.monotonic() < end:
            seen = maps_of(p.pid, path)
            time.sleep(0.01)
        assert seen, "the file was never mapped"
        lo, hi = (int(x, 16) for x in seen[0].split()[0].split("-"))
        assert hi - lo >= size // 2, (hi - lo, size)
        got = 0
        while got < (20 << 20):
            chunk = p.stdout.read(1 << 20)
            assert chunk, p.stderr.read()
            got += len(chunk)
        later = maps_of(p.pid, path)
        assert later, "unmapped before the end"
        start = int(later[0].split()[0].split("-")[0], 16)
        assert start > lo, "no page released after %d MiB out" % (got >> 20)
        while p.stdout.read(1 << 20):
            pass
        assert p.wait(30) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    # Through a pipe: never mapped (nothing to map).
    with open(path, "rb") as i:
        cat = subprocess.Popen(["cat"], stdin=i, stdout=subprocess.PIPE)
        p = subprocess.Popen([GENWIRE, "decode", "gzip"], stdin=cat.stdout,
                             stdout=subprocess.DEVNULL)
        cat.stdout.close()
        assert p.wait(60) == 0 and cat.wait(10) == 0


def test_file_truncated_while_read():
    # genwire blocks writing to a pipe nobody reads yet, the file mapped;
    # the file is then cut to 1 MiB (a page boundary), far past what has
    # been read and far before its end.  Reading on reaches the pages that
    # are gone: genwire must say so and fail (status 1) after a prefix of
    # the output, not die of SIGBUS (SHRANK, test_file_shrinking_gives_what_was_decoded).
    if not os.path.exists("/proc/self/maps"):
        return
    path = os.path.join(TMP, "cut.gz")
    plain = text(12 << 20, 7)
    with open(path, "wb") as f:
        f.write(gz(plain, 1))
    assert os.path.getsize(path) > (3 << 20)
    for backend in BACKENDS:
        with open(path, "rb") as i:
            p = subprocess.Popen([GENWIRE, "decode", "gzip", "--inflate-backend", backend],
                                 stdin=i, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            first = p.stdout.read(4096)
            end = time.monotonic() + 30
            while not maps_of(p.pid, path) and time.monotonic() < end:
                time.sleep(0.01)
            assert maps_of(p.pid, path), "the file was never mapped"
            os.truncate(path, 1 << 20)
            rest = p.stdout.read()
            status, err = p.wait(30), p.stderr.read()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        out = first + rest
        assert status == 1, (backend, status, err)
        m = SHRANK.match(err)
        assert m and int(m.group(2)) == 1 << 20 and int(m.group(3)) <= 1 << 20, err
        assert 0 < len(out) < len(plain) and plain.startswith(out), (backend, len(out))
        # No more than the bytes before the read that failed decode to.
        d = zlib.decompressobj(31)
        assert len(out) <= len(d.decompress(gz(plain, 1)[:int(m.group(3))])), (backend, err)
        with open(path, "wb") as f:  # whole again for the next backend
            f.write(gz(plain, 1))


def chunked(data, seed):
    """data in the chunked coding, in chunks of random sizes."""
    rnd, out, k = random.Random(seed), [], 0
    while k < len(data):
        n = rnd.randrange(1, 70000)
        out.append(b"%x\r\n" % len(data[k:k + n]) + data[k:k + n] + b"\r\n")
        k += n
    return b"".join(out) + b"0\r\n\r\n"


def unchunked(wire):
    """The chunk data that wire, a prefix of a chunked body, holds whole or
    in part."""
    out, k = [], 0
    while True:
        eol = wire.find(b"\r\n", k)
        if eol < 0:
            return b"".join(out)
        n = int(wire[k:eol], 16)
        out.append(wire[eol + 2:eol + 2 + n])
        if n == 0 or eol + 2 + n > len(wire):
            return b"".join(out)
        k = eol + 2 + n + 2


SHRANK = re.compile(rb"genwire: standard input \((.*)\): the file shrank to (\d+) bytes "
                    rb"while it was read, at byte (\d+)\n\Z")


def pipe_full(fd):
    """Whether the pipe whose read end is fd holds as much as it can."""
    size = fcntl.fcntl(fd, getattr(fcntl, "F_GETPIPE_SZ", 1032))
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0] >= size


def read_until_exit(p, fd, deadline=60):
    """What genwire writes to fd (a pipe whose write end we keep) until it
    has exited and the pipe is empty; (status, out)."""
    out, end = [], time.monotonic() + deadline
    while time.monotonic() < end:
        if select.select([fd], [], [], 0.05)[0]:
            out.append(os.read(fd, 1 << 20))
        elif p.poll() is not None:
            return p.returncode, b"".join(out)
    raise AssertionError("genwire did not end")


def decode_shrinking(args, wire, cut):
    """Runs genwire with wire in a regular file on standard input and its
    output into a pipe nobody reads yet: once the file is mapped and the pipe
    full (genwire waits to write), cuts the file to cut bytes and reads the
    output.  Returns (status, out, err, nonblocking flag left on standard
    output)."""
    path = os.path.join(TMP, "shrinks")
    with open(path, "wb") as f:
        f.write(wire)
    or_, ow = os.pipe()
    try:
        with open(path, "rb") as i:
            p = subprocess.Popen([GENWIRE, *args], stdin=i, stdout=ow, stderr=subprocess.PIPE)
        try:
            end = time.monotonic() + 30
            while not (maps_of(p.pid, path) and pipe_full(or_)) and time.monotonic() < end:
                assert p.poll() is None, p.stderr.read()
                time.sleep(0.01)
            assert maps_of(p.pid, path) and pipe_full(or_), "genwire never waited to write"
            os.truncate(path, cut)
            status, out = read_until_exit(p, or_)
            err = p.stderr.read()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        left = bool(fcntl.fcntl(ow, fcntl.F_GETFL) & os.O_NONBLOCK)
    finally:
        os.close(or_)
        os.close(ow)
    return status, out, err, left


def test_file_shrinking_gives_what_was_decoded():
    # A pipe-through tool writes what it decoded: a file cut short while it
    # is read gives the output of every read of it that completed, whole
    # records only, and its flags back, then the message and status 1.  The
    # message says where the read that failed started (K, counted like every
    # offset from where standard input stood): the output is exactly the
    # chunk data of the first K bytes, as lines (whole records) or as they
    # are.  Cut ahead of where genwire has got to (K at most the cut, and
    # no more than one read short of it) and behind it (its next read fails:
    # it gives at least what it had decoded when the pipe filled up).
    if not os.path.exists("/proc/self/maps"):
        return
    plain = text(12 << 20, 8)
    plain = plain[: plain.rindex(b"\n") + 1]
    wire = chunked(plain, 9)
    pipe = 1 << 16
    for args, whole_lines in ((["decode", "chunked,lines", "--format", "lines",
                                "--max-record", "4096"], True),
                              (["decode", "chunked"], False)):
        for cut in (4 << 20, 4096):
            status, out, err, left = decode_shrinking(args, wire, cut)
            m = SHRANK.match(err)
            assert status == 1 and m, (args, cut, status, err)
            assert os.path.samefile(m.group(1), os.path.join(TMP, "shrinks")), err
            at = int(m.group(3))
            assert int(m.group(2)) == cut, err
            want = unchunked(wire[:at])
            if whole_lines:
                want = want[: want.rindex(b"\n") + 1]
            assert out == want, (args, cut, at, len(out), len(want))
            assert plain.startswith(out), (args, cut)
            if cut > pipe:
                assert cut - (2 << 20) < at <= cut, (args, cut, at)
            else:
                assert len(out) >= pipe, (args, cut, len(out))
            assert not left, ("O_NONBLOCK left on standard output", args, cut)


run_cases(globals())
