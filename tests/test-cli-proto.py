#!/usr/bin/python3
"""Tests of the genwire command-line tool's protocol layers (suite cli): resp
(the JSON mapping, redis-cli's command splitting, errors), http-request and
http-response (JSON streams, encode round trips, errors, stalls), and the
inflate backends (--version, --inflate-backend).  Prints TAP.

Usage: test-cli-proto.py PATH-TO-GENWIRE (shared parts: tests/cli_common.py)
"""
import gzip
import json
import zlib

from cli_common import *  # noqa: F401,F403 - gw, first_output_within


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


run_cases(globals())
