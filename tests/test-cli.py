#!/usr/bin/python3
"""Tests of the genwire command-line tool (tools/genwire.c), driving the built
binary as a user would: round trips through every layer and through stacks of
two and three, streams from independent peers (the gzip command, Python's
zlib, and libsodium through python3-nacl), every bad-input class giving exit
status 1 and a message naming the layer and the offset, --help and usage
errors, a closed standard output, standard input left blocking, and flat
memory on a 1 GiB stream.  Prints TAP.

Usage: test-cli.py PATH-TO-GENWIRE
"""
import gzip
import json
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

GENWIRE = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="gw-cli-")
KEY = os.path.join(TMP, "k.key")
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
    import time
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


def test_keygen():
    gw("keygen", KEY, check=0)
    st = os.stat(KEY)
    assert st.st_mode & 0o777 == 0o600, oct(st.st_mode)
    text = open(KEY).read()
    assert len(text) == 65 and text.endswith("\n"), text
    int(text[:64], 16)
    status, _, err = gw("keygen", KEY)
    assert status == 1 and b"exists" in err, (status, err)


def test_round_trip_every_layer():
    data = os.urandom(200000) + b"tail"
    for layer in BYTE_LAYERS:
        _, wire, _ = gw("encode", layer, *keyargs(layer), data=data, check=0)
        _, back, _ = gw("decode", layer, *keyargs(layer), data=wire, check=0)
        assert back == data, layer
    lines = records_text(300, 1)
    text = ("\n".join(lines) + "\n").encode()
    for layer in RECORD_LAYERS:
        recs = [l for l in lines if layer != "u8" or len(l.encode()) < 256]
        t = ("\n".join(recs) + "\n").encode()
        _, wire, _ = gw("encode", layer, data=t, check=0)
        _, back, _ = gw("decode", layer, "--format", "lines", data=wire, check=0)
        assert back == t, layer
    del text


def test_round_trip_stacks():
    lines = records_text(500, 2)
    text = ("\n".join(lines) + "\n").encode()
    stacks = ["gzip,u32be", "secretstream,varint", "chunked,netstring", "zlib,lines",
              "secretstream,gzip,u32be", "chunked,deflate,u64le", "gzip,secretstream,u16be",
              "secretstream,gzip", "chunked,zlib"]
    for stack in stacks:
        _, wire, _ = gw("encode", stack, *keyargs(stack), data=text, check=0)
        if stack.split(",")[-1] in RECORD_LAYERS:
            _, back, _ = gw("decode", stack, *keyargs(stack), "--format", "lines", data=wire,
                            check=0)
        else:
            _, back, _ = gw("decode", stack, *keyargs(stack), data=wire, check=0)
        assert back == text, stack


def test_json_round_trip():
    recs = [b"plain", b"", b"\x00\xff\xfe binary", "ünïcode €".encode(), b"quote\" back\\ tab\t"]
    wire = b"".join(struct.pack(">I", len(r)) + r for r in recs)
    _, out, _ = gw("decode", "u32be", "--format", "json", data=wire, check=0)
    objs = [json.loads(l) for l in out.decode().splitlines()]
    assert len(objs) == len(recs)
    off = 0
    for o, r in zip(objs, recs):
        assert o["offset"] == off and o["length"] == len(r), o
        off += 4 + len(r)
        if "text" in o:
            assert o["text"].encode() == r
        else:
            import base64
            assert base64.b64decode(o["base64"]) == r
    assert "base64" in objs[2]
    _, again, _ = gw("encode", "--input", "json", "u32be", data=out, check=0)
    assert again == wire
    # Other keys are ignored.
    _, w2, _ = gw("encode", "--input", "json", "u8",
                  data=b'{"x": [1, {"y": null}], "text": "hi", "z": true}\n', check=0)
    assert w2 == b"\x02hi", w2
    status, _, err = gw("encode", "--input", "json", "u8", data=b'{"nope": 1}\n')
    assert status == 1 and b"input line 1" in err, err


def test_hex_format():
    _, out, _ = gw("decode", "u8", "--format", "hex", data=b"\x02\x00\xff\x00", check=0)
    assert out == b"00ff\n\n", out


def test_gzip_command_and_python_zlib_decode():
    data = b"".join(b"line %d of the peer's data\n" % i for i in range(20000))
    gz = subprocess.run(["gzip", "-c"], input=data, capture_output=True, check=True).stdout
    _, out, _ = gw("decode", "gzip", data=gz, check=0)
    assert out == data
    # Two concatenated members decode as one stream, as gzip -d does.
    _, out, _ = gw("decode", "gzip", data=gz + gz, check=0)
    assert out == data + data
    _, out, _ = gw("decode", "zlib", data=zlib.compress(data, 9), check=0)
    assert out == data
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = co.compress(data) + co.flush()
    _, out, _ = gw("decode", "deflate", data=raw, check=0)
    assert out == data
    # And what genwire writes, the gzip command reads.
    _, wire, _ = gw("encode", "gzip", data=data, check=0)
    back = subprocess.run(["gzip", "-dc"], input=wire, capture_output=True, check=True).stdout
    assert back == data


def test_python_nacl_peer():
    from nacl import bindings as b
    key = bytes.fromhex(open(KEY).read().strip())
    state = b.crypto_secretstream_xchacha20poly1305_state()
    header = b.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    msgs = [b"first message", b"", b"x" * 70000]
    wire = header
    for i, m in enumerate(msgs):
        tag = (b.crypto_secretstream_xchacha20poly1305_TAG_FINAL if i == len(msgs) - 1
               else b.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
        c = b.crypto_secretstream_xchacha20poly1305_push(state, m, None, tag)
        wire += struct.pack(">I", len(c)) + c
    _, out, _ = gw("decode", "secretstream", "--key", KEY, data=wire, check=0)
    assert out == b"".join(msgs)
    # The other way: genwire encrypts, nacl decrypts.
    plain = os.urandom(150000)
    _, wire, _ = gw("encode", "secretstream", "--key", KEY, data=plain, check=0)
    st = b.crypto_secretstream_xchacha20poly1305_state()
    b.crypto_secretstream_xchacha20poly1305_init_pull(st, wire[:24], key)
    pos, got, tag = 24, b"", None
    while pos < len(wire):
        (n,) = struct.unpack(">I", wire[pos:pos + 4])
        m, tag = b.crypto_secretstream_xchacha20poly1305_pull(st, wire[pos + 4:pos + 4 + n], None)
        got += m
        pos += 4 + n
    assert got == plain and tag == b.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def expect_error(stack, wire, layer, offset, *extra, words=None):
    status, _, err = gw("decode", stack, *keyargs(stack), *extra, data=wire)
    text = err.decode()
    want = "genwire: %s: " % layer
    assert status == 1, (stack, status, text)
    assert text.startswith(want), (stack, text)
    assert text.rstrip().endswith("at byte %d" % offset), (stack, text, offset)
    if words is not None:
        # A tuple: any of them (zlib's words, or the ISA-L backend's).
        alts = words if isinstance(words, tuple) else (words,)
        assert any(w in text for w in alts), (stack, text)


def test_bad_input_classes():
    # Framing.
    expect_error("u64be", b"\xff" * 8 + b"abc", "u64be", 0, words="longer than the limit")
    expect_error("u32be", b"\x00\x00\x00\x05ab", "u32be", 6, words="input ends inside a record")
    expect_error("varint", b"\xff" * 10 + b"\x01", "varint", 9, words="varint")
    expect_error("netstring", b"03:abc,", "netstring", 1, words="netstring")
    expect_error("netstring", b"3:abcX", "netstring", 5, words="comma")
    # One rule for a netstring length too long, whatever its digits (issue 9
    # item 18): 30 nines and 3000 digits give the same words, at the start.
    texts = []
    for digits in (b"9" * 30, b"7" * 3000, b"1" + b"0" * 20):
        status, _, err = gw("decode", "netstring", data=b"2:ok," + digits + b":x,")
        assert status == 1 and b"longer than the limit (--max-record" in err, err
        assert err.rstrip().endswith(b"at byte 5"), err
        texts.append(err)
    assert texts[0] == texts[1] == texts[2], texts
    # Chunked.
    expect_error("chunked", b"FFFFFFFFFFFFFFFF0\r\n", "chunked", 16, words="chunk size")
    expect_error("chunked", b"5\r\nhello\r\n", "chunked", 10, words="input ends inside the chunked body")
    # Compression.
    gz = subprocess.run(["gzip", "-c"], input=b"hello hello hello\n" * 100,
                        capture_output=True, check=True).stdout
    expect_error("gzip", gz[:30], "gzip", 30, words="input ends inside a gzip member")
    expect_error("gzip", gz + b"junk", "gzip", len(gz), words="after the end")
    bad = bytearray(gz)
    bad[-8] ^= 0xff  # the CRC
    expect_error("gzip", bytes(bad), "gzip", len(gz) - 8 + 3, words="check")
    # A dynamic block header with too many codes: zlib stops in byte 4.
    expect_error("zlib", b"\x78\x9c\x05\xff\xff", "zlib", 4,
                 words=("too many length", "invalid deflate block"))
    # Encryption.
    _, wire, _ = gw("encode", "secretstream", "--key", KEY, data=b"secret", check=0)
    flip = bytearray(wire)
    flip[-1] ^= 1
    expect_error("secretstream", bytes(flip), "secretstream", 24, words="forged")
    # Errors of this layer give the offset of the message (its length prefix).
    expect_error("secretstream", wire[:-3], "secretstream", 24,
                 words="input ends inside an encrypted message")
    expect_error("secretstream", wire + b"x", "secretstream", len(wire), words="after the final")

def usage_fails(args, *words):
    """genwire with args is a usage error (status 2) whose message has words."""
    status, _, err = gw(*args)
    assert status == 2, (args, status, err)
    for w in words:
        assert w.encode() in err, (args, w, err)


def test_numeric_options_bounded():
    # Issue 9 item 10: a --max-record whose buffer sizes wrapped was a heap
    # overflow; every numeric option now has a bound, said in the message.
    big = "9223372036854775808"
    usage_fails(["decode", "u32be", "--format", "hex", "--max-record", big],
                "--max-record", "1 to 1073741824", big)
    usage_fails(["decode", "u32be", "--format", "json", "--max-record", "1073741825"],
                "1 to 1073741824")
    usage_fails(["encode", "u32be", "--max-record", "0"], "1 to 1073741824")
    usage_fails(["encode", "lines", "--input", "json", "--max-record", "99999999999999999999999"],
                "1 to 1073741824")
    usage_fails(["decode", "gzip", "--max-output", "18446744073709551616"],
                "--max-output", "1 to 18446744073709551615")
    usage_fails(["decode", "gzip", "--max-output", "-1"], "--max-output")
    usage_fails(["encode", "gzip", "--level", "10"], "--level", "0 to 9")
    # The largest bound works: its buffers are not sized from the limit.
    wire = struct.pack(">I", 100) + bytes(range(100))
    for fmt in ("hex", "json", "lines"):
        gw("decode", "u32be", "--format", fmt, "--max-record", "1073741824", data=wire, check=0)
    _, out, _ = gw("decode", "u32be", "--format", "hex", "--max-record", "1073741824",
                   data=wire, check=0)
    assert out == bytes(range(100)).hex().encode() + b"\n", out
    _, out, _ = gw("encode", "u32be", "--max-record", "1073741824", data=b"abc\n", check=0)
    assert out == b"\x00\x00\x00\x03abc", out
    # A long record still formats whole, in hex and in JSON.
    rec = os.urandom(300000)
    wire = struct.pack(">I", len(rec)) + rec
    _, out, _ = gw("decode", "u32be", "--format", "hex", data=wire, check=0)
    assert out == rec.hex().encode() + b"\n"
    _, out, _ = gw("decode", "u32be", "--format", "json", data=wire, check=0)
    import base64
    assert base64.b64decode(json.loads(out)["base64"]) == rec
    text = ("é\"\\\n\x01" * 40000).encode()
    _, out, _ = gw("decode", "u32be", "--format", "json",
                   data=struct.pack(">I", len(text)) + text, check=0)
    assert json.loads(out)["text"].encode() == text


def test_lines_limit_is_max_record():
    # Issue 9 item 11: decode lines capped lines at 131070 bytes whatever
    # --max-record said; the one limit of a line is --max-record.
    line = b"x" * 300000
    _, out, _ = gw("decode", "lines", "--format", "lines", data=line + b"\n" + line, check=0)
    assert out == line + b"\n" + line + b"\n"
    _, out, _ = gw("decode", "lines", "--max-record", "100", "--format", "lines",
                   data=b"y" * 100 + b"\n", check=0)
    assert out == b"y" * 100 + b"\n"
    for tail in (b"\n", b""):
        status, out, err = gw("decode", "lines", "--max-record", "100", "--format", "lines",
                              data=b"ok\n" + b"y" * 101 + tail)
        assert status == 1 and out == b"ok\n", (status, out, err)
        assert b"--max-record 100" in err and err.rstrip().endswith(b"at byte 3"), err
    status, _, err = gw("decode", "u32be", "--max-record", "5", data=struct.pack(">I", 6) + b"123456")
    assert status == 1 and b"--max-record 5" in err, err


def test_round_trip_default_options():
    # Issue 9 item 15: what encode writes, decode reads back with the same
    # (default) options: long lines, and long runs of empty records.
    long_lines = b"a" * 1000000 + b"\n" + b"b" * 200000 + b"\n\n" + b"c" * 131071 + b"\n"
    empties = b"\n" * 1100000 + b"end\n" + b"\n" * 1000
    for stack, text in [(s, long_lines) for s in ("lines", "u32be", "gzip,varint", "netstring",
                                                  "chunked,lines")] + \
            [(s, empties) for s in ("lines", "u8", "gzip,netstring")]:
        _, wire, _ = gw("encode", stack, data=text, check=0)
        _, back, err = gw("decode", stack, "--format", "lines", data=wire)
        assert back == text, (stack, len(text), len(back), err)


def test_stack_empty_elements_refused():
    # Issue 9 item 18: gzip,,u32be / ,gzip / gzip, were accepted silently.
    for stack, pos in (("gzip,,u32be", 2), (",gzip", 1), ("gzip,", 2), (",", 1), ("", 1)):
        usage_fails(["decode", stack], "'%s'" % stack, "empty layer name at position %d" % pos)
        usage_fails(["encode", stack], "empty layer name")


def test_options_need_a_layer_that_takes_them():
    # Issue 9 item 18: --key (even a missing file) without secretstream, and
    # --format / --input without a record layer, were silently ignored.
    usage_fails(["decode", "gzip", "--key", "/nonexistent"], "--key", "secretstream")
    usage_fails(["encode", "chunked", "--key", KEY], "--key", "secretstream")
    usage_fails(["decode", "gzip", "--format", "json"], "--format", "record layer")
    usage_fails(["encode", "zlib", "--input", "json"], "--input", "record layer")
    usage_fails(["decode", "chunked", "--max-output", "5"], "--max-output", "gzip")
    usage_fails(["encode", "u8", "--level", "3"], "--level", "gzip")
    usage_fails(["decode", "secretstream", "--max-record", "5", "--key", KEY], "--max-record")
    usage_fails(["encode", "gzip", "--max-output", "5"], "--max-output", "decode only")
    usage_fails(["decode", "u8", "--input", "json"], "--input", "encode only")


def test_option_value_after_equals_and_double_dash():
    # Issue 9 item 18: --opt=value and -- were refused.
    _, out, _ = gw("decode", "--format=hex", "u8", data=b"\x01\xab", check=0)
    assert out == b"ab\n", out
    _, wire, _ = gw("encode", "--level=1", "--", "gzip", data=b"x" * 1000, check=0)
    _, out, _ = gw("decode", "--max-output=1000", "--", "gzip", data=wire, check=0)
    assert out == b"x" * 1000
    _, out, _ = gw("encode", "--key=" + KEY, "--max-record=3", "secretstream,u8", data=b"abc\n",
                   check=0)
    usage_fails(["decode", "--progress=yes", "gzip"], "--progress", "no value")
    usage_fails(["decode", "--format=", "u8"], "--format", "''")
    usage_fails(["decode", "--", "--format", "u8"], "unexpected argument")
    usage_fails(["decode", "--", "--format"], "unknown layer '--format'")


def test_output_written_before_a_layer_error():
    # Issue 9 item 13: the bytes a failing read decoded were thrown away
    # (0 lines where gzip -dc writes 1000, then its error).
    lines = b"".join(b"%d\n" % i for i in range(1, 1001))
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)
    gz = gz.compress(lines) + gz.flush()
    status, out, err = gw("decode", "gzip", data=gz + b"x")
    assert status == 1 and out == lines, (status, len(out), err)
    assert err.startswith(b"genwire: gzip: ") and b"after the end" in err, err
    status, out, err = gw("decode", "zlib", data=zlib.compress(lines) * 2)
    assert status == 1 and out == lines, (status, len(out), err)
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    bomb = co.compress(bytes(1000000)) + co.flush()
    status, out, err = gw("decode", "gzip", "--max-output", "100000", data=bomb)
    assert status == 1 and out == bytes(100000), (status, len(out), err)
    assert b"--max-output 100000" in err, err
    status, out, err = gw("decode", "chunked", data=b"3\r\nabc\r\n0\r\nBad Trailer\r\n\r\n")
    assert status == 1 and out == b"abc", (status, out, err)
    assert err.startswith(b"genwire: chunked: "), err
    # With a record layer: the records the failing read completed come out.
    status, out, err = gw("decode", "gzip,lines", "--format", "lines", data=gz + b"x")
    assert status == 1 and out == lines, (status, len(out), err)
    assert err.startswith(b"genwire: gzip: ") and b"after the end" in err, err
    status, out, err = gw("decode", "zlib,lines", "--format", "lines",
                          data=zlib.compress(lines) * 2)
    assert status == 1 and out == lines, (status, len(out), err)
    recs = b"".join(b"\x05" + b"%05d" % i for i in range(20000))
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    status, out, err = gw("decode", "gzip,u8", "--format", "lines", "--max-output", "60000",
                          data=co.compress(recs) + co.flush())
    assert status == 1 and out == b"".join(b"%05d\n" % i for i in range(10000)), (status, len(out))
    assert b"--max-output 60000" in err, err


def test_bytes_after_the_last_chunk_are_an_error():
    # Issue 9 item 14: bytes after the last chunk were ignored (exit 0).
    status, out, err = gw("decode", "chunked", data=b"3\r\nabc\r\n0\r\n\r\nSECOND BODY")
    assert status == 1 and out == b"abc", (status, out, err)
    assert err == b"genwire: chunked: bytes after the end of the stream at byte 13\n", err
    status, out, err = gw("decode", "chunked", data=b"3\r\nabc\r\n0\r\nX: y\r\n\r\n")
    assert status == 0 and out == b"abc", (status, out, err)
    _, wire, _ = gw("encode", "chunked,u8", data=b"one\ntwo\n", check=0)
    status, out, err = gw("decode", "chunked,u8", "--format", "lines", data=wire + b"\r\n")
    assert status == 1 and out == b"one\ntwo\n", (status, out, err)
    assert err.rstrip().endswith(b"at byte %d" % len(wire)), err
    # Inside a compressed layer the offset is in that layer's input.
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    gz = co.compress(b"3\r\nabc\r\n0\r\n\r\nxx") + co.flush()
    status, out, err = gw("decode", "gzip,chunked", data=gz)
    assert status == 1 and out == b"abc" and b"chunked: " in err and b"byte 13" in err, err
    # A stream that ends at its last chunk is fine, under another layer too.
    _, wire, _ = gw("encode", "gzip,chunked", data=os.urandom(100000), check=0)
    gw("decode", "gzip,chunked", data=wire, check=0)


def first_output_within(args, first, rest, enough, deadline=30):
    """Starts genwire with args, writes `first` to its standard input and
    keeps that input open: returns what genwire wrote to standard output
    once enough(what it wrote) is true, or when `deadline` seconds have
    passed (a bound for a loaded machine, not a latency requirement: the
    property is that the output comes while the input stalls, before its
    end).  Then writes `rest`, closes its input and checks that it exits 0."""
    import select
    import time
    p = subprocess.Popen([GENWIRE, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        p.stdin.write(first)
        p.stdin.flush()
        got, end = b"", time.monotonic() + deadline
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


def test_decoded_output_is_written_when_input_stalls():
    # Issue 9 item 16: output waited for 128 KiB or the end of input, so
    # `tail -f log | genwire decode lines` showed nothing.  Half a stream,
    # then a pause: the decoded half is on standard output before the rest
    # of the input is written.
    text = b"".join(b"log line %d\n" % i for i in range(2000))
    half = text[:len(text) // 2]
    half = half[:half.rindex(b"\n") + 1]
    got = first_output_within(["decode", "lines", "--format", "lines"], half, text[len(half):],
                              at_least(half))
    assert got == half, (len(got), len(half))
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    first = co.compress(half) + co.flush(zlib.Z_SYNC_FLUSH)
    rest = co.compress(text[len(half):]) + co.flush()
    assert first_output_within(["decode", "gzip"], first, rest, at_least(half)) == half
    assert first_output_within(["decode", "gzip,lines", "--format", "lines"], first, rest,
                               at_least(half)) == half
    chunk = b"%x\r\n%s\r\n" % (len(half), half)
    assert first_output_within(["decode", "chunked"], chunk, b"0\r\n\r\n", at_least(half)) == half
    recs = b"".join(struct.pack(">I", 5) + b"rec%02d" % i for i in range(50))
    got = first_output_within(["decode", "u32be", "--format", "json"], recs + b"\x00\x00", b"\x00\x00",
                              lambda got: got.count(b"\n") >= 50)
    assert got.count(b"\n") == 50 and b'"rec49"' in got, got


def test_raw_and_lines_records_copied_in_batches():
    # decode writes the raw and lines records whole in its input buffer in
    # one batch, straight into the output buffer (tools/records.c): records
    # of every size around the batch's limits (the 128 KiB output buffer,
    # records larger than it, empty ones), in the formats the batch takes
    # (u32be, varint) and one it leaves to the record reader (u16be), come
    # out whole and in order, through a byte layer too.
    def varint(n):
        out = b""
        while n >= 0x80:
            out += bytes([n & 0x7f | 0x80])
            n >>= 7
        return out + bytes([n])

    rnd = random.Random(7)
    sizes = [rnd.choice([0, 1, 3, 127, 128, 200, 5000, 65535]) for _ in range(600)]
    sizes[100:100] = [131071, 131072, 131073, 200000, 0, 1]
    recs = [(b"%05d" % i * (n // 5 + 1))[:n] for i, n in enumerate(sizes)]
    heads = {"u32be": lambda n: struct.pack(">I", n), "varint": varint,
             "u16be": lambda n: struct.pack(">H", n)}
    for fmt, head in heads.items():
        want = [r for r in recs if fmt != "u16be" or len(r) <= 65535]
        wire = b"".join(head(len(r)) + r for r in want)
        gz = zlib.compressobj(1, zlib.DEFLATED, 31)
        for stack, data in ((fmt, wire), ("gzip," + fmt, gz.compress(wire) + gz.flush())):
            _, out, err = gw("decode", stack, "--format", "raw", data=data, check=0)
            assert out == b"".join(want), (stack, len(out), err)
            _, out, err = gw("decode", stack, "--format", "lines", data=data, check=0)
            assert out == b"".join(r + b"\n" for r in want), (stack, len(out), err)
    # An error after a run of whole records: exactly those come out, with
    # the error at the record that broke (a limit, then the input's end).
    good = b"".join(struct.pack(">I", 3) + b"r%02d" % i for i in range(40))
    status, out, err = gw("decode", "u32be", "--format", "lines", "--max-record", "10",
                          data=good + struct.pack(">I", 11) + b"x" * 11 + good)
    assert status == 1 and out == b"".join(b"r%02d\n" % i for i in range(40)), (status, out)
    assert b"(--max-record 10) at byte %d" % len(good) in err, err
    status, out, err = gw("decode", "u32be", "--format", "raw", data=good + b"\x00\x00\x00\x09cut")
    assert status == 1 and out == b"".join(b"r%02d" % i for i in range(40)), (status, out)
    assert b"inside a record at byte %d" % (len(good) + 7) in err, err
    status, out, err = gw("decode", "varint", "--format", "raw", data=b"\x02ok\x00\x01z\x85")
    assert status == 1 and out == b"okz", (status, out, err)


def test_raw_records_written_when_input_stalls():
    # The batch goes into the buffer that standard input flushes when it
    # stalls: the records before a pause are on standard output before the
    # rest of the input is written, with and without a byte layer.
    recs = [b"rec%04d" % i for i in range(3000)]
    wire = b"".join(struct.pack(">I", len(r)) + r for r in recs)
    whole = len(recs) // 2
    half = whole * 11 + 5  # the records before, and a part of the next one
    want = b"".join(recs[:whole])
    assert first_output_within(["decode", "u32be", "--format", "raw"], wire[:half], wire[half:],
                               at_least(want)) == want
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    first = co.compress(wire[:half]) + co.flush(zlib.Z_SYNC_FLUSH)
    rest = co.compress(wire[half:]) + co.flush()
    got = first_output_within(["decode", "gzip,u32be", "--format", "lines"], first, rest,
                              lambda got: got.count(b"\n") >= whole)
    assert got == b"".join(r + b"\n" for r in recs[:whole]), (len(got), whole)


def test_encoded_output_is_written_when_input_stalls():
    # encode is a pipe-through tool too: what it has encoded goes out as
    # soon as its input stalls (a flush through every layer: the record
    # writer, a chunk, a deflate sync flush, a secretstream message), so
    # that `tail -f log | genwire encode gzip | ...` shows each burst.
    # What comes out before the rest of the input is written decodes to
    # the first half (the stream cut there, so decode reports a truncation
    # where the format has an end), and the whole run still ends cleanly.
    text = b"".join(b"log line %d\n" % i for i in range(2000))
    half = text[:len(text) // 2]
    half = half[:half.rindex(b"\n") + 1]
    for stack in ["u32be", "lines", "gzip", "zlib", "deflate", "chunked", "secretstream",
                  "gzip,u32be", "secretstream,gzip,varint", "chunked,deflate,netstring"]:
        args = keyargs(stack)
        fmt = ["--format", "lines"] if stack.split(",")[-1] in RECORD_LAYERS else []

        def decoded(got):
            return gw("decode", stack, *args, *fmt, data=got)[1] if got else b""

        got = first_output_within(["encode", stack, *args], half, text[len(half):],
                                  lambda got: decoded(got) == half)
        assert got, stack
        assert decoded(got) == half, (stack, len(decoded(got)), len(half))


def test_key_path_fifo_or_directory():
    # Issue 9 item 12: a FIFO as --key blocked in open(); item 18: a
    # directory or a pipe was "key must be 64 hex digits".
    fifo = os.path.join(TMP, "fifo")
    os.mkfifo(fifo)
    p = subprocess.run([GENWIRE, "decode", "secretstream", "--key", fifo], input=b"",
                       capture_output=True, timeout=10)
    assert p.returncode == 1 and b"is a pipe, not a key file" in p.stderr, p.stderr
    status, _, err = gw("encode", "secretstream", "--key", TMP)
    assert status == 1 and b"is a directory, not a key file" in err, err
    status, _, err = gw("decode", "secretstream", "--key", os.path.join(TMP, "nope"))
    assert status == 1 and b"No such file" in err, err


def test_unreadable_standard_input():
    # Issue 9 item 18: "input line 1: input/output error" for a directory or
    # a closed standard input under encode.
    for cmd in ("encode", "decode"):
        d = os.open(TMP, os.O_RDONLY)
        try:
            p = subprocess.run([GENWIRE, cmd, "u8"], stdin=d, capture_output=True)
        finally:
            os.close(d)
        assert p.returncode == 1 and p.stderr == b"genwire: standard input: Is a directory\n", \
            p.stderr
        p = subprocess.run(["sh", "-c", '"$0" %s u8 <&-' % cmd, GENWIRE], capture_output=True)
        assert p.returncode == 1 and p.stderr == b"genwire: standard input is closed\n", p.stderr


def test_repeated_layer_named_by_position():
    # Issue 9 item 18: with gzip,gzip the error did not say which layer.
    inner = zlib.compressobj(6, zlib.DEFLATED, 31)
    inner = inner.compress(os.urandom(2000)) + inner.flush()
    outer = zlib.compressobj(6, zlib.DEFLATED, 31)
    outer = outer.compress(inner[:40]) + outer.flush()
    status, _, err = gw("decode", "gzip,gzip", data=outer)
    assert status == 1 and err.startswith(b"genwire: gzip (layer 2 of 2): the input ends inside"), err
    status, _, err = gw("decode", "gzip,gzip", data=outer[:20])
    assert status == 1 and err.startswith(b"genwire: gzip (layer 1 of 2): "), err
    status, _, err = gw("decode", "gzip,u8", data=outer[:20])
    assert status == 1 and err.startswith(b"genwire: gzip: "), err


def test_encode_messages_name_what_to_change():
    # Issue 9 item 18: "invalid argument" for a record holding LF under
    # encode lines; a record over the limit names --max-record.
    status, _, err = gw("encode", "--input", "json", "lines", data=b'{"text": "ok"}\n{"text": "a\\nb"}\n')
    assert status == 1 and b"lines: input line 2: " in err and b"line feed" in err, err
    assert b"netstring" in err, err
    status, _, err = gw("encode", "u8", data=b"ok\n" + b"x" * 300 + b"\n")
    assert status == 1 and b"u8: input line 2: " in err and b"300 bytes" in err, err
    assert b"255" in err, err  # what a u8 prefix can hold
    status, _, err = gw("encode", "u32be", "--max-record", "10", data=b"x" * 11 + b"\n")
    assert status == 1 and b"input line 1: " in err and b"--max-record 10" in err, err


def test_encode_writes_what_it_had_before_an_error():
    # Issue 9 item 18: 999 good records then an oversized one gave 0 bytes.
    text = b"a\n" * 999 + b"b" * 300 + b"\n"
    status, out, err = gw("encode", "u8", data=text)
    assert status == 1 and out == b"\x01a" * 999, (status, len(out), err)
    # Through a compression layer: the records so far are decodable (the
    # stream is left unfinished, so decode then says it is cut short).
    status, out, err = gw("encode", "gzip,u8", data=text)
    assert status == 1 and len(out) > 0, (status, err)
    status, back, err = gw("decode", "gzip,u8", "--format", "lines", data=out)
    assert back == b"a\n" * 999 and status == 1 and b"input ends inside" in err, (status, err)


def test_json_input_strict():
    # Issue 9 item 18: invalid literals were accepted; escapes in keys were
    # not decoded.
    _, out, _ = gw("encode", "--input", "json", "u8", data=b'{"\\u0074ext": "a"}\n', check=0)
    assert out == b"\x01a", out
    _, out, _ = gw("encode", "--input", "json", "u8",
                   data=b'{"n": -1.5e3, "t": true, "f": false, "z": null, "text": "b"}\n', check=0)
    assert out == b"\x01b", out
    for bad in (b'{"x": tru, "text": "a"}', b'{"x": nul, "text": "a"}', b'{"x": 01, "text": "a"}',
                b'{"x": 1.2.3, "text": "a"}', b'{"x": -, "text": "a"}', b'{"x": truefalse, "text": "a"}',
                b'{"x": 1e, "text": "a"}', b'{"x": .5, "text": "a"}', b'{"text": "a",}'):
        status, _, err = gw("encode", "--input", "json", "u8", data=bad + b"\n")
        assert status == 1 and b"input line 1: " in err, (bad, status, err)


def test_round_trip_property():
    # Issue 9 section 5: random stacks (0 to 3 byte layers, then a record
    # layer or none), random binary records including very long ones and
    # long runs of empty records: encode | decode with default options gives
    # the input back.  Records go in as JSON (base64) and come out in hex,
    # so any byte can be in a record.
    import base64
    rnd = random.Random(int(os.environ.get("GW_CLI_SEED", "9")))
    cases = int(os.environ.get("GW_CLI_CASES", "200"))
    for case_no in range(cases):
        stack = [rnd.choice(BYTE_LAYERS) for _ in range(rnd.choice([0, 1, 1, 2, 3]))]
        rec_layer = rnd.choice(RECORD_LAYERS + [None, None])
        if rec_layer is None and not stack:
            stack = [rnd.choice(BYTE_LAYERS)]
        name = ",".join(stack + ([rec_layer] if rec_layer else []))
        if rec_layer is None:
            size = rnd.choice([0, 1, 100, 5000, 70000, 300000])
            data = rnd.randbytes(size)
            _, wire, _ = gw("encode", name, *keyargs(name), data=data, check=0)
            _, back, err = gw("decode", name, *keyargs(name), data=wire)
            assert back == data, (case_no, name, len(data), len(back), err)
            continue
        recs = []
        for _ in range(rnd.choice([0, 1, 5, 50, 300])):
            if rnd.random() < 0.1:
                recs.extend([b""] * rnd.choice([1, 10, 100]))
            else:
                recs.append(rnd.randbytes(rnd.choice([1, 3, 40, 255])))
        # Now and then a very long record, or a long run of empty ones.
        if rnd.random() < 0.15:
            recs.insert(rnd.randint(0, len(recs)), rnd.randbytes(1000) * rnd.choice([70, 200, 400]))
        if rnd.random() < 0.1:
            at = rnd.randint(0, len(recs))
            recs[at:at] = [b""] * 100000
        cap = {"u8": 255, "u16be": 65535, "u16le": 65535}.get(rec_layer)
        if cap is not None:
            recs = [r[:cap] for r in recs]
        if rec_layer == "lines":
            recs = [r.replace(b"\n", b"").rstrip(b"\r") for r in recs]
        text = b"".join(b'{"base64": "%s"}\n' % base64.b64encode(r) for r in recs)
        _, wire, err = gw("encode", name, *keyargs(name), "--input", "json", data=text, check=0)
        _, out, err = gw("decode", name, *keyargs(name), "--format", "hex", data=wire)
        back = out.split(b"\n")[:-1]
        recs = [r.hex().encode() for r in recs]
        assert back == recs, (case_no, name, len(recs), len(back), err)


def test_output_written_before_error():
    wire = b"\x00\x00\x00\x02ok\x00\x00\x00\x09cut"
    status, out, err = gw("decode", "u32be", "--format", "lines", data=wire)
    assert status == 1 and out == b"ok\n", (status, out, err)


def test_help_and_usage():
    for args in (["--help"], ["decode", "--help"], ["encode", "--help"], ["keygen", "--help"]):
        status, out, err = gw(*args)
        assert status == 0 and out.startswith(b"Usage: genwire") and err == b"", args
    status, out, _ = gw("--version")
    assert status == 0 and out.startswith(b"genwire "), out
    for args in ([], ["frobnicate"], ["decode"], ["decode", "gzip,nope"], ["decode", "u32be,gzip"],
                 ["decode", "--format", "xml", "u8"], ["decode", "--max-record", "x", "u8"],
                 ["decode", "secretstream"], ["encode", "--level", "12", "gzip"],
                 ["decode", "u8", "extra"], ["decode", "--bogus", "u8"]):
        status, out, err = gw(*args)
        assert status == 2, (args, status)
        assert b"Try 'genwire --help'" in err, (args, err)


def test_closed_stdout_is_quiet():
    data = subprocess.run(["gzip", "-c"], input=os.urandom(4 << 20), capture_output=True,
                          check=True).stdout
    p = subprocess.run(["sh", "-c", "'%s' decode gzip 2>%s/err | head -c 10 | wc -c"
                        % (GENWIRE, TMP)], input=data, capture_output=True)
    assert p.stdout.strip() == b"10", p.stdout
    err = open(os.path.join(TMP, "err"), "rb").read()
    assert err == b"", err


def test_stdin_left_blocking():
    # A pipe whose read end genwire made non-blocking must be blocking again
    # when genwire exits, on success and on error.
    code = r"""
import fcntl, os, subprocess, sys
r, w = os.pipe()
os.write(w, sys.argv[2].encode()); os.close(w)
subprocess.run([sys.argv[1], "decode", sys.argv[3]], stdin=r, stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL)
print(fcntl.fcntl(r, fcntl.F_GETFL) & os.O_NONBLOCK)
"""
    for data, stack in (("\x01a", "u8"), ("\x05a", "u8")):
        p = subprocess.run([sys.executable, "-c", code, GENWIRE, data, stack], capture_output=True,
                           check=True)
        assert p.stdout.strip() == b"0", p.stdout


def nonblocking(fd):
    import fcntl
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)


def wait_until(cond, what, seconds=5.0):
    import time
    end = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.002)


def flag_test_signals():
    """Every catchable signal whose default action ends the process (the
    first list), and the stop signals (the second)."""
    import signal as sg
    names = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
             "SIGSEGV", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGXCPU",
             "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGIO", "SIGPWR", "SIGSYS"]
    fatal = [getattr(sg, n) for n in names if hasattr(sg, n)]
    fatal += [sg.SIGRTMIN, sg.SIGRTMIN + 3, sg.SIGRTMAX]
    return fatal, [sg.SIGTSTP, sg.SIGTTIN, sg.SIGTTOU]


def start_on_pipes(ignored=()):
    """genwire decode gzip with both standard input and output pipes;
    returns (process, stdin's write end, stdout's read end, stdin's read end,
    stdout's write end), once genwire has made its pipes non-blocking.  The
    flags live on the open file descriptions, which this process shares
    through the last two.  genwire starts with every signal of
    flag_test_signals() at its default action and unblocked, except those in
    ignored, which it inherits ignored."""
    import signal as sg
    ir, iw = os.pipe()
    or_, ow = os.pipe()
    fatal, stops = flag_test_signals()

    def no_core():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # A group of its own, with its parent outside it, is not orphaned: the
        # kernel discards SIGTSTP's stop in an orphaned group.
        os.setpgid(0, 0)
        # Dispositions are inherited: a shell without job control starts a
        # background job (this suite under "meson test ... &", say) with
        # SIGINT and SIGQUIT ignored, and genwire rightly leaves an ignored
        # signal ignored, so SIGINT would not end it and p.wait timed out.
        for s in fatal + stops:
            sg.signal(s, sg.SIG_IGN if s in ignored else sg.SIG_DFL)
        sg.pthread_sigmask(sg.SIG_SETMASK, [])
    p = subprocess.Popen([GENWIRE, "decode", "gzip"], stdin=ir, stdout=ow,
                         stderr=subprocess.DEVNULL, preexec_fn=no_core)
    wait_until(lambda: nonblocking(ir) and nonblocking(ow), "genwire to set O_NONBLOCK")
    return p, iw, or_, ir, ow


def stop_on_pipes(p, *fds):
    """Closes what start_on_pipes opened (None: already closed) and ends p."""
    for fd in fds:
        if fd is not None:
            os.close(fd)
    if p.poll() is None:
        p.kill()
        p.wait()


def test_flags_restored_after_every_signal():
    # Issue 9 item 17: O_NONBLOCK stayed on standard input and output after
    # death by SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU, SIGVTALRM, SIGPROF and
    # while stopped by SIGTSTP.  Every catchable signal whose default action
    # ends the process, and the stop signals.
    import signal as sg
    sigs, stops = flag_test_signals()
    for sig in sigs:
        p, iw, or_, ir, ow = start_on_pipes()
        try:
            p.send_signal(sig)
            status = p.wait(10)
            assert not nonblocking(ir) and not nonblocking(ow), ("flags left", sig)
            # Under a sanitizer its own handler ends the process on a fault.
            if not (SANITIZED and sig in (sg.SIGSEGV, sg.SIGBUS, sg.SIGFPE)):
                assert status == -sig, (sig, status)
        finally:
            stop_on_pipes(p, iw, or_, ir, ow)
    # Stopped by SIGTSTP: blocking while stopped, non-blocking again once
    # continued, and the decode goes on.
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    gz = co.compress(b"after the stop\n") + co.flush()
    for sig in stops:
        p, iw, or_, ir, ow = start_on_pipes()
        try:
            p.send_signal(sig)
            wait_until(lambda: open("/proc/%d/stat" % p.pid).read().split(") ")[1][0] == "T",
                       "the stop")
            assert not nonblocking(ir) and not nonblocking(ow), ("flags left while stopped", sig)
            p.send_signal(sg.SIGCONT)
            wait_until(lambda: nonblocking(ir) and nonblocking(ow), "O_NONBLOCK again")
            os.write(iw, gz)
            os.close(iw)
            iw = None
            assert p.wait(10) == 0
            assert os.read(or_, 100) == b"after the stop\n"
            assert not nonblocking(ir) and not nonblocking(ow)
        finally:
            stop_on_pipes(p, iw, or_, ir, ow)


def test_signals_ignored_at_start_stay_ignored():
    # As under nohup, or in a background job of a shell without job control:
    # a signal ignored when genwire starts neither ends nor stops it, and
    # the decode goes on with the flags in place.
    import signal as sg
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    gz = co.compress(b"still here\n") + co.flush()
    for sig in (sg.SIGINT, sg.SIGQUIT, sg.SIGHUP, sg.SIGTSTP):
        p, iw, or_, ir, ow = start_on_pipes(ignored=(sig,))
        try:
            # Pending (or discarded) from here on: genwire, waiting in poll,
            # cannot read the input before a caught signal's handler has run.
            p.send_signal(sig)
            os.write(iw, gz)
            os.close(iw)
            iw = None
            assert p.wait(10) == 0, sig
            assert os.read(or_, 100) == b"still here\n", sig
            assert not nonblocking(ir) and not nonblocking(ow), ("flags left", sig)
        finally:
            stop_on_pipes(p, iw, or_, ir, ow)


def test_progress():
    # Input that arrives over about a second: --progress draws bytes and rate
    # on standard error, --no-progress keeps it empty (stderr is not a
    # terminal here, so the default is off too).
    import time
    for flag, want in (("--progress", True), ("--no-progress", False), (None, False)):
        args = [GENWIRE, "decode", "chunked"] + ([flag] if flag else [])
        p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        for _ in range(8):
            p.stdin.write(b"10000\r\n" + b"p" * 0x10000 + b"\r\n")
            p.stdin.flush()
            time.sleep(0.15)
        p.stdin.write(b"0\r\n\r\n")
        p.stdin.close()
        err = p.stderr.read()
        assert p.wait() == 0
        assert (b"KiB in, " in err) == want, (flag, err)
        if want:
            # Issue 9 item 18: the rate is the input's, and says so.
            assert b"KiB/s in" in err, err
    # Small streams in KiB or bytes, not "0.0 MiB".
    p = subprocess.Popen([GENWIRE, "decode", "gzip", "--progress"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    p.stdin.write(co.compress(b"small" * 600) + co.flush(zlib.Z_SYNC_FLUSH))
    p.stdin.flush()
    time.sleep(0.6)
    p.stdin.write(co.flush())
    p.stdin.close()
    err = p.stderr.read()
    assert p.wait() == 0
    assert b"0.0 MiB" not in err and b"2.9 KiB out" in err, err


def test_regular_files():
    src = os.path.join(TMP, "plain")
    with open(src, "wb") as f:
        f.write(b"from a file\n" * 1000)
    dst = os.path.join(TMP, "wire")
    with open(src, "rb") as i, open(dst, "wb") as o:
        subprocess.run([GENWIRE, "encode", "zlib,lines"], stdin=i, stdout=o, check=True)
    with open(dst, "rb") as i:
        p = subprocess.run([GENWIRE, "decode", "zlib,lines", "--format", "lines"], stdin=i,
                           capture_output=True, check=True)
    assert p.stdout == b"from a file\n" * 1000


SANITIZED = os.environ.get("GW_SANITIZE", "none") not in ("", "none")


def test_one_gib_flat_memory():
    # 1 GiB of records through gzip: peak RSS of the decoder under 16 MiB.
    # Under a sanitizer its own memory dominates the RSS: there the stream is
    # 256 MiB and the bound is not checked (the plain build checks it).
    mib = 256 if SANITIZED else 1024
    rec = struct.pack(">I", 4092) + bytes(range(256)) * 15 + bytes(252)
    block = rec * 256  # 1 MiB
    gzpath = os.path.join(TMP, "big.gz")
    with open(gzpath, "wb") as f:
        co = zlib.compressobj(1, zlib.DEFLATED, 31)
        for _ in range(mib):
            f.write(co.compress(block))
        f.write(co.flush())
    # GNU time reports the peak RSS of genwire alone (a Python parent's would
    # be inherited through fork and exec).
    rss = os.path.join(TMP, "rss")
    with open(gzpath, "rb") as i:
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss, GENWIRE, "decode",
                              "gzip,u32be", "--format", "raw"], stdin=i, stdout=subprocess.PIPE)
        total = 0
        while True:
            chunk = p.stdout.read(1 << 20)
            if not chunk:
                break
            total += len(chunk)
        status = p.wait()
    assert status == 0, status
    assert total == mib * 256 * 4092, total
    peak = int(open(rss).read().split()[-1])  # KiB
    print("# %d MiB decode: peak RSS %d KiB%s" % (mib, peak, " (sanitizer build: not checked)"
                                                  if SANITIZED else ""))
    if not SANITIZED:
        assert peak < 16 * 1024, "peak RSS %d KiB" % peak


# ---- the resp layer ------------------------------------------------------------


RESP_JSON = [
    (b"+OK\r\n", '{"simple": "OK"}'),
    (b"-ERR unknown command\r\n", '{"error": "ERR unknown command"}'),
    (b"!5\r\nERR x\r\n", '{"error": "ERR x"}'),
    (b":-9223372036854775808\r\n", "-9223372036854775808"),
    (b"$5\r\nh\xc3\xa9\"\n\r\n", '"h\u00e9\\"\\n"'),
    (b"$2\r\n\xff\xfe\r\n", '{"base64": "//4="}'),
    (b"$-1\r\n", "null"), (b"*-1\r\n", "null"), (b"_\r\n", "null"),
    (b",3.141\r\n", '{"double": "3.141"}'), (b",-inf\r\n", '{"double": "-inf"}'),
    (b"#t\r\n", "true"), (b"#f\r\n", "false"),
    (b"=7\r\ntxt:abc\r\n", '{"verbatim": "txt", "text": "abc"}'),
    (b"(1234567999999999999\r\n", '{"bignum": "1234567999999999999"}'),
    (b"*2\r\n:1\r\n*0\r\n", "[1, []]"),
    (b"~1\r\n:1\r\n", '{"set": [1]}'),
    (b"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", '{"map": [[{"simple": "a"}, 1], [{"simple": "b"}, 2]]}'),
    (b">2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n", '{"push": ["message", "hi"]}'),
    (b"|1\r\n+ttl\r\n:5\r\n+v\r\n", '{"attributes": [[{"simple": "ttl"}, 5]], "value": {"simple": "v"}}'),
    (b"*1\r\n|1\r\n+a\r\n+b\r\n:1\r\n", '[{"attributes": [[{"simple": "a"}, {"simple": "b"}]], "value": 1}]'),
    (b"$?\r\n;2\r\nab\r\n;1\r\nc\r\n;0\r\n", '"abc"'),
]


def test_resp_json_mapping():
    wire = b"".join(w for w, _ in RESP_JSON)
    _, out, _ = gw("decode", "resp", "--format", "json", data=wire, check=0)
    got = out.decode().splitlines()
    assert got == [j for _, j in RESP_JSON], got
    for line in got:
        json.loads(line)
    # The same through a byte layer, and with the default format.
    _, gz, _ = gw("encode", "gzip", data=wire, check=0)
    _, out2, _ = gw("decode", "gzip,resp", data=gz, check=0)
    assert out2 == out


def test_resp_encode_splits_as_redis_cli():
    text = b'SET k "a b\\x41\\n\\"q"\nGET k\n\n  PING   \'it\\\'s\'  \n'
    _, wire, _ = gw("encode", "resp", data=text, check=0)
    assert wire == (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$7\r\na bA\n\"q\r\n"
                    b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
                    b"*2\r\n$4\r\nPING\r\n$4\r\nit's\r\n"), wire
    _, out, _ = gw("decode", "resp", data=wire, check=0)
    assert out.decode().splitlines() == ['["SET", "k", "a bA\\n\\"q"]', '["GET", "k"]',
                                         '["PING", "it\'s"]'], out


def test_resp_errors_name_layer_and_offset():
    for wire, words in [(b"+OK\r\n*1\r\n:x\r\n", "at byte 9"), (b"+OK\n", "CRLF"),
                        (b"*2\r\n:1\r\n", "truncated"), (b"*1\r\n>0\r\n", "push")]:
        status, out, err = gw("decode", "resp", data=wire)
        assert status == 1, wire
        assert b"resp" in err and words.encode() in err, err
    status, out, _ = gw("decode", "resp", data=b"+OK\r\n:x\r\n")
    assert status == 1 and out == b'{"simple": "OK"}\n', out
    for text in [b'GET "k\n', b"GET 'k\n", b'GET "k"x\n']:
        status, _, err = gw("encode", "resp", data=text)
        assert status == 1 and b"input line 1" in err and b"quotes" in err, err
    status, _, _ = gw("decode", "resp", "--format", "hex", data=b"+OK\r\n")
    assert status != 0


# ---- the http-request and http-response layers -----------------------------------


def test_http_response_stream_json():
    gz = gzip.compress(b"hello, compressed")
    wire = (b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
            + b"%x\r\n" % len(gz) + gz + b"\r\n0\r\n\r\n"
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n\xff\xfe")
    _, out, _ = gw("decode", "http-response", "--format", "json", data=wire, check=0)
    got = [json.loads(l) for l in out.decode().splitlines()]
    assert got[1] == {"offset": 25, "version": "1.1", "status": 200, "reason": "OK",
                      "headers": [["Content-Type", "text/plain"], ["Content-Length", "5"]],
                      "length": 5, "text": "hello"}, got[1]
    assert got[0]["status"] == 100 and got[0]["length"] == 0
    assert got[2]["text"] == "hello, compressed" and got[2]["length"] == 17
    assert got[3]["base64"] == "//4=" and len(got) == 4
    _, raw, _ = gw("decode", "http-response", "--format", "raw", data=wire, check=0)
    assert raw == b"hello" + b"hello, compressed" + b"\xff\xfe", raw


def test_http_request_stream_and_errors():
    wire = (b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
    _, out, _ = gw("decode", "http-request", data=wire, check=0)
    got = [json.loads(l) for l in out.decode().splitlines()]
    assert [(g["method"], g["target"], g.get("text")) for g in got] == [
        ("GET", "/a", ""), ("POST", "/b", "abc")], got
    # An error names the layer and the offset, after what came before it.
    status, out, err = gw("decode", "http-request",
                          data=wire + b"GET / HTTP/1.1\r\nHost : x\r\n\r\n")
    assert status == 1 and len(out.splitlines()) == 2, out
    assert b"http-request" in err and b"whitespace before colon at byte 90" in err, err
    status, _, err = gw("decode", "http-response",
                        data=b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx")
    assert status == 1 and b"'br'" in err, err
    status, _, err = gw("decode", "http-request", data=b"GET / HTTP/1.1\r\nHo")
    assert status == 1 and b"http-request" in err, err

def test_http_encode_round_trip():
    # What decode writes, encode writes back, byte for byte when the wire
    # was as encode writes it; and encode | decode reproduces the objects.
    reqs = (b"GET /a?b HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST http://h:8/p HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello"
            b"PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\xff\x00c\r\n0\r\n\r\n"
            b"OPTIONS * HTTP/1.1\r\n\r\n")
    resps = (b"HTTP/1.1 100 Continue\r\n\r\n"
             b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
             b"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
             b"HTTP/1.0 404 \r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
             b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    for layer, wire in [("http-request", reqs), ("http-response", resps)]:
        _, js, _ = gw("decode", layer, data=wire, check=0)
        _, back, err = gw("encode", layer, data=js, check=0)
        assert back == wire, (layer, back, err)
        _, js2, _ = gw("decode", layer, data=back, check=0)
        assert js2 == js, (layer, js2)
    # Objects without framing fields get one: Content-Length, or chunked.
    objs = [{"method": "POST", "target": "/x", "text": "abc"},
            {"method": "PUT", "target": "/y", "base64": "AP8=", "chunked": True},
            {"method": "GET", "target": "/z"}]
    inp = "".join(json.dumps(o) + "\n" for o in objs).encode()
    _, wire, _ = gw("encode", "http-request", data=inp, check=0)
    assert wire == (b"POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                    b"PUT /y HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n\x00\xff\r\n0\r\n\r\n"
                    b"GET /z HTTP/1.1\r\n\r\n"), wire
    _, js, _ = gw("decode", "http-request", data=wire, check=0)
    got = [json.loads(l) for l in js.decode().splitlines()]
    assert [g.get("text", g.get("base64")) for g in got] == ["abc", "AP8=", ""], got
    _, wire, _ = gw("encode", "http-response", data=b'{"status": 200, "reason": "OK"}\n'
                    b'{"status": 304, "reason": "", "version": "1.0"}\n', check=0)
    assert wire == b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.0 304 \r\n\r\n", wire
    # Through byte layers too.
    _, wire, _ = gw("encode", "gzip,http-request", data=inp, check=0)
    _, js, _ = gw("decode", "gzip,http-request", data=wire, check=0)
    assert len(js.splitlines()) == 3, js


def test_http_encode_errors_name_the_line():
    good = b'{"status": 200, "reason": "OK", "text": "ok"}\n'
    for bad, why in [
            (b'{"status": 200, "headers": [["Content-Length", "3"]], "text": "hello"}',
             b"Content-Length 3 but the body has 5 bytes"),
            (b'{"status": 204, "text": "x"}', b"a body in a message that has none"),
            (b'{"status": 200, "headers": [["X", "a\\r\\nInjected: 1"]]}', b"cannot be written"),
            (b'{"status": 200, "headers": [["Bad Name", "x"]]}', b"cannot be written"),
            (b'{"status": 200, "headers": [["Content-Length", "1, 2"]], "text": "x"}',
             b"decode would refuse it"),
            (b'{"status": 200, "headers": [["Transfer-Encoding", "gzip"]]}', b"until close"),
            (b'{"status": 200, "chunked": true, "headers": [["Content-Length", "0"]]}',
             b'"chunked" is true'),
            (b'{"version": "1.0", "status": 200, "chunked": true}', b"decode would refuse it"),
            (b'{"version": "2", "status": 200}', b'"version"'),
            (b'{"status": 99}', b"100 to 599"),
            (b'{"status": 200, "headers": [["X"]]}', b"[name, value]"),
            (b'{"status": 200, "text": "a", "base64": "YQ=="}', b"more than one"),
            (b'{"status": 200} x', b"text after the object")]:
        status, out, err = gw("encode", "http-response", data=good + bad + b"\n" + good)
        assert status == 1 and b"http-response: input line 2: " in err and why in err, (bad, err)
        # What was encoded before the bad line is written, and decodes.
        _, js, _ = gw("decode", "http-response", data=out, check=0)
        assert len(js.splitlines()) == 1, (bad, out)
    for bad, why in [(b'{"method": "GET", "target": "W"}', b"cannot be written"),
                     (b'{"method": "GET"}', b'needs "method" and "target"'),
                     (b'{"method": "CONNECT", "target": "/x"}', b"cannot be written"),
                     (b'{"method": "FOO", "target": "/"}', b"decode would refuse it")]:
        status, _, err = gw("encode", "http-request", data=bad + b"\n")
        assert status == 1 and b"http-request: input line 1: " in err and why in err, (bad, err)
    status, _, err = gw("encode", "http-request", "--input", "lines", data=b"x\n")
    assert status == 1 and b"--input must be json" in err, err


def test_http_encode_written_when_input_stalls():
    # A pipe-through encode writes each message as soon as its input stalls.
    line = b'{"method": "POST", "target": "/", "text": "part %d"}\n'
    half = b"".join(line % i for i in range(100))
    got = first_output_within(["encode", "http-request"], half, line % 100,
                              lambda got: got.count(b"part ") >= 100)
    _, js, _ = gw("decode", "http-request", data=got, check=0)
    assert len(js.splitlines()) == 100 and b'"part 99"' in js, js[-200:]


def test_inflate_backend():
    # Issue 14: --version names the inflate backends built in, and
    # --inflate-backend picks one; every backend decodes the same bytes and
    # reports the same error for the same input.
    status, out, _ = gw("--version")
    assert status == 0 and b"inflate backends: zlib" in out, out
    backends = ["default", "zlib"] + (["isal"] if b"isal" in out else [])
    plain = b"".join(b"line %d\n" % i for i in range(20000))
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    gz = co.compress(plain) + co.flush()
    for b in backends:
        status, got, err = gw("decode", "gzip", "--inflate-backend", b, data=gz + gz)
        assert status == 0 and got == plain + plain, (b, status, err)
        status, got, err = gw("decode", "gzip", "--inflate-backend=" + b, data=gz + b"x")
        assert status == 1 and got == plain, (b, status, len(got))
        assert err.rstrip().endswith(b"at byte %d" % len(gz)) and b"gzip" in err, (b, err)
    status, _, err = gw("decode", "gzip", "--inflate-backend", "brotli", data=gz)
    assert status == 2 and b"--inflate-backend" in err, err
    status, _, err = gw("decode", "u32be", "--inflate-backend", "zlib", data=b"")
    assert status == 2, err


for name, fn in list(globals().items()):
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
