#!/usr/bin/python3
"""Tests of the genwire command-line tool (tools/), driving the built binary
as a user would: round trips through every layer and through stacks of two
and three, streams from independent peers (the gzip command, Python's zlib,
and libsodium through python3-nacl), every bad-input class giving exit
status 1 and a message naming the layer and the offset, bounded options,
--help and usage errors, and a closed standard output.  Prints TAP.

Usage: test-cli.py PATH-TO-GENWIRE (shared parts: tests/cli_common.py)
"""
import json
import os
import random
import struct
import subprocess
import zlib

from cli_common import *  # noqa: F401,F403 - gw, KEY, the layer lists


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


def test_level_zero_stores():
    # --level 0 is stored blocks (GW_DEFLATE_STORE below), the default level 6.
    data = b"abc" * 10000
    _, stored, _ = gw("encode", "--level", "0", "gzip", data=data, check=0)
    _, dflt, _ = gw("encode", "gzip", data=data, check=0)
    assert len(stored) > len(data), len(stored)
    assert len(dflt) < len(data) // 10, len(dflt)
    for wire in (stored, dflt):
        assert zlib.decompress(wire, 31) == data
        _, out, _ = gw("decode", "gzip", data=wire, check=0)
        assert out == data


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


run_cases(globals())
