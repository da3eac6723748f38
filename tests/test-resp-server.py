#!/usr/bin/python3
"""examples/resp-cli against a real redis-server (suite resp, resp-server).

Starts redis-server on a free loopback port (--save '' --appendonly no
--enable-debug-command local), runs the client as a user would, and stops
the server at the end.  Prints TAP.  Not for valgrind: the big cases are
scaled down when GW_SANITIZE says a sanitizer build is running.
"""
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import time

CLI = sys.argv[1]
SANITIZED = os.environ.get("GW_SANITIZE", "none") not in ("", "none")
N = 100000 if SANITIZED else 1000000
BIG = (10 if SANITIZED else 100) << 20
results = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cli(*args, data=b""):
    p = subprocess.run([CLI, "-h", "127.0.0.1", "-p", str(PORT), *args], input=data,
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def lines(out):
    return [json.loads(l) for l in out.decode().splitlines()]


def case(fn):
    try:
        fn()
        results.append((True, fn.__name__, ""))
    except Exception as e:  # noqa: BLE001 - every failure is reported
        results.append((False, fn.__name__, repr(e)[:2000]))


def test_debug_protocol_resp2_and_resp3():
    types = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib",
             "push", "verbatim", "true", "false"]
    text = "".join("DEBUG PROTOCOL %s\n" % t for t in types).encode()
    st, out, err = cli("-3", data=text)
    assert st == 0, err
    got = lines(out)
    assert got[0]["map"][2] == ["proto", 3], got[0]
    want3 = {"string": "Hello World", "integer": 12345, "double": {"double": "3.141"},
             "bignum": {"bignum": "1234567999999999999999999999999999999"}, "null": None,
             "array": [0, 1, 2], "set": {"set": [0, 1, 2]},
             "map": {"map": [[0, False], [1, True], [2, False]]},
             "attrib": {"attributes": [["key-popularity", ["key:123", 90]]],
                        "value": "Some real reply following the attribute"},
             "verbatim": {"verbatim": "txt", "text": "This is a verbatim\nstring"},
             "true": True, "false": False}
    replies = got[1:]
    pushes = [r for r in replies if isinstance(r, dict) and "push" in r]
    others = [r for r in replies if not (isinstance(r, dict) and "push" in r)]
    assert pushes == [{"push": ["server-cpu-usage", 42]}], pushes
    assert len(others) == len(types), others
    for t, r in zip([t for t in types], others):
        if t == "push":  # the push comes first, then its reply
            assert r == "Some real reply following the push reply", r
        else:
            assert r == want3[t], (t, r)
    st, out, err = cli(data=text)
    assert st == 0, err
    got2 = lines(out)
    assert len(got2) == len(types), got2
    assert got2[0] == "Hello World" and got2[1] == 12345 and got2[2] == "3.141", got2
    assert got2[4] is None and got2[7] == [0, 0, 1, 1, 2, 0] and got2[11] == 1, got2


def test_pipelined_sets_then_gets():
    sets = "".join("SET key:%d value-%d\n" % (i, i * 7) for i in range(N)).encode()
    t0 = time.time()
    st, out, err = cli("--pipeline", "64", data=sets)
    assert st == 0, err
    assert out == b'{"simple": "OK"}\n' * N, len(out)
    gets = "".join("GET key:%d\n" % i for i in range(N)).encode()
    st, out, err = cli("--pipeline", "64", data=gets)
    assert st == 0, err
    want = "".join('"value-%d"\n' % (i * 7) for i in range(N)).encode()
    assert out == want
    print("# %d SETs and GETs pipelined 64 deep: %.2f s" % (N, time.time() - t0))


def test_help_and_usage():
    p = subprocess.run([CLI, "--help"], capture_output=True, timeout=10)
    assert p.returncode == 0 and p.stdout.startswith(b"usage: resp-cli ") and b"--batch B" in p.stdout
    for bad in (["--pipeline", "0"], ["--batch", "0"], ["--batch"], ["-x"]):
        p = subprocess.run([CLI, *bad], capture_output=True, timeout=10)
        assert p.returncode == 2 and p.stderr.startswith(b"usage: resp-cli "), (bad, p)


def test_windows_and_batches():
    # Replies in order and none lost whatever the window and batch, a batch
    # of one to a batch of the whole window, and one that does not divide it.
    n = 10000
    text = b"DEL ctr\n" + b"INCR ctr\n" * n
    for args in ([], ["--pipeline", "64", "--batch", "1"], ["--pipeline", "64", "--batch", "64"],
                 ["--pipeline", "7", "--batch", "3"], ["--pipeline", "5", "--batch", "9"]):
        st, out, err = cli(*args, data=text)
        assert st == 0, (args, err)
        got = lines(out)
        assert got[0] in (0, 1) and got[1:] == list(range(1, n + 1)), args


def test_window_holds_and_batches_overlap():
    # A server of our own that answers only when told: the client sends a
    # whole window (8 replies owed) and no more; with batches of half a
    # window (the default) the next 4 go out once 4 replies came back, and
    # not after 3; with --batch 8 only once all 8 came back.  Each reply is
    # printed as soon as it arrived, while the client waits to send.
    ping = b"*1\r\n$4\r\nPING\r\n"
    for batch, steps in ((None, [(3, 8), (1, 12), (4, 16)]), ("8", [(4, 8), (4, 16)])):
        lsn = socket.socket()
        lsn.bind(("127.0.0.1", 0))
        lsn.listen(1)
        args = [CLI, "-p", str(lsn.getsockname()[1]), "--pipeline", "8"]
        if batch is not None:
            args += ["--batch", batch]
        # The whole input is there before the client starts: no pause in it
        # sends a part of a batch early.
        rd, wr = os.pipe()
        os.write(wr, b"PING\n" * 20)
        os.close(wr)
        p = subprocess.Popen(args, stdin=rd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(rd)
        watchdog = threading.Timer(20, p.kill)
        watchdog.start()
        try:
            lsn.settimeout(10)
            conn, _ = lsn.accept()
            got = bytearray()

            def received(want):
                # Reads until `want` commands came, then checks for 0.2 s
                # that no more do.
                while len(got) < want * len(ping):
                    conn.settimeout(10)
                    data = conn.recv(4096)
                    assert data, "client closed"
                    got.extend(data)
                if select.select([conn], [], [], 0.2)[0]:
                    got.extend(conn.recv(4096))
                assert len(got) == want * len(ping), (batch, want, len(got) / len(ping))
                assert bytes(got) == ping * want

            received(8)
            answered = 0
            for k, want in steps:
                conn.sendall(b"+PONG\r\n" * k)
                answered += k
                for _ in range(k):
                    assert json.loads(p.stdout.readline()) == {"simple": "PONG"}
                received(want)
            while answered < 20:  # the rest, as it comes
                conn.sendall(b"+PONG\r\n" * (len(got) // len(ping) - answered))
                answered = len(got) // len(ping)
                if answered < 20:
                    received(min(answered + 8, 20))
            out = p.stdout.read()
            assert p.wait(10) == 0, p.stderr.read()
            assert lines(out) == [{"simple": "PONG"}] * (20 - sum(k for k, _ in steps)), out
            conn.close()
        finally:
            watchdog.cancel()
            lsn.close()
            if p.poll() is None:
                p.kill()


def test_big_value():
    chunk = "x" * (1 << 20)
    text = ("DEL big\n" + ("APPEND big %s\n" % chunk) * (BIG >> 20) + "STRLEN big\nGET big\n")
    st, out, err = cli("--pipeline", "8", data=text.encode())
    assert st == 0, err
    ls = out.split(b"\n")
    assert ls[-3] == str(BIG).encode(), ls[-3][:100]
    assert ls[-2] == b'"' + b"x" * BIG + b'"'


def test_subscribe_and_publish():
    p = subprocess.Popen([CLI, "-3", "-p", str(PORT)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p.stdin.write(b"SUBSCRIBE news\n")
        p.stdin.flush()
        first = json.loads(p.stdout.readline())  # HELLO
        assert "map" in first, first
        conf = json.loads(p.stdout.readline())
        assert conf == {"push": ["subscribe", "news", 1]}, conf
        st, out, err = cli(data=b"PUBLISH news hello\n")
        assert st == 0 and lines(out) == [1], (out, err)
        msg = json.loads(p.stdout.readline())
        assert msg == {"push": ["message", "news", "hello"]}, msg
        p.stdin.write(b"PING\n")
        p.stdin.close()
        rest = p.stdout.read()
        assert lines(rest) == [{"simple": "PONG"}], rest
        assert p.wait(10) == 0
    finally:
        if p.poll() is None:
            p.kill()


def test_subscribe_several_channels():
    # Each channel of a SUBSCRIBE (and of an UNSUBSCRIBE, with or without
    # names) has its own confirmation: the client waits for all of them, in
    # RESP3 (pushes) and RESP2 (arrays), with any window, and the PING after
    # them (no longer subscribed by then) is answered.
    text = b"SUBSCRIBE a b c\nPSUBSCRIBE p*\nUNSUBSCRIBE\nUNSUBSCRIBE x y\nPUNSUBSCRIBE\nPING\n"
    conf = [["subscribe", "a", 1], ["subscribe", "b", 2], ["subscribe", "c", 3],
            ["psubscribe", "p*", 4]]
    unsub = [["unsubscribe", "x", 1], ["unsubscribe", "y", 1], ["punsubscribe", "p*", 0]]

    def check(got):
        assert got[:4] == conf, got
        # UNSUBSCRIBE with no names: one confirmation per channel, in the
        # server's order, counting down.
        assert sorted(g[1] for g in got[4:7]) == ["a", "b", "c"], got
        assert [(g[0], g[2]) for g in got[4:7]] == [("unsubscribe", n) for n in (3, 2, 1)], got
        assert got[7:] == unsub + [{"simple": "PONG"}], got

    for window in ("1", "64"):
        st, out, err = cli("-3", "--pipeline", window, data=text)
        assert st == 0, err
        got = lines(out)
        assert "map" in got[0], got
        assert all("push" in g for g in got[1:-1]), got
        check([g["push"] for g in got[1:-1]] + [got[-1]])
        st, out, err = cli("--pipeline", window, data=text)
        assert st == 0, err
        check(lines(out))


def test_resp2_messages_are_not_replies():
    # In RESP2 a message while subscribed is an array like a reply: it must
    # not count as one, or the client ends before the PONGs arrive.
    p = subprocess.Popen([CLI, "-p", str(PORT), "--pipeline", "64"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p.stdin.write(b"SUBSCRIBE news\n")
        p.stdin.flush()
        assert json.loads(p.stdout.readline()) == ["subscribe", "news", 1]
        # The server is paused, the publisher queues its messages, then the
        # PINGs are sent: when the pause ends the messages come first, while
        # the PINGs are in flight.
        st, out, err = cli(data=b"CLIENT PAUSE 500 ALL\n")
        assert st == 0 and lines(out) == [{"simple": "OK"}], (out, err)
        pub = subprocess.Popen([CLI, "-p", str(PORT), "--pipeline", "64"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pub.stdin.write(b"PUBLISH news m\n" * 50)
        pub.stdin.close()
        time.sleep(0.2)
        p.stdin.write(b"PING\n" * 3)
        p.stdin.close()
        assert lines(pub.stdout.read()) == [1] * 50
        assert pub.wait(10) == 0
        got = lines(p.stdout.read())
        assert got == [{"push": ["message", "news", "m"]}] * 50 + [["pong", ""]] * 3, got
        assert p.wait(10) == 0
    finally:
        if p.poll() is None:
            p.kill()


def test_typed_hello_3_is_followed():
    # HELLO 3 typed (not -3): the connection speaks RESP3 from its reply on,
    # so while subscribed an array is a reply, even one that looks like a
    # RESP2 message, and the client ends once it arrived; the message
    # published meanwhile is a push.
    p = subprocess.Popen([CLI, "-p", str(PORT), "--pipeline", "64"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watchdog = threading.Timer(20, p.kill)  # a client that waits for a reply it had is killed
    watchdog.start()
    try:
        p.stdin.write(b"DEL l\nRPUSH l message news x\nHELLO 3\nSUBSCRIBE news\n")
        p.stdin.flush()
        assert json.loads(p.stdout.readline()) in (0, 1)
        assert json.loads(p.stdout.readline()) == 3
        hello = json.loads(p.stdout.readline())
        assert ["proto", 3] in hello["map"], hello
        assert json.loads(p.stdout.readline()) == {"push": ["subscribe", "news", 1]}
        st, out, err = cli(data=b"PUBLISH news hi\n")
        assert st == 0 and lines(out) == [1], (out, err)
        assert json.loads(p.stdout.readline()) == {"push": ["message", "news", "hi"]}
        p.stdin.write(b"LRANGE l 0 -1\nHELLO 2\n")
        p.stdin.close()
        got = lines(p.stdout.read())
        assert got[0] == ["message", "news", "x"], got
        assert ["proto", 2] in [got[1][i:i + 2] for i in range(0, len(got[1]), 2)], got
        assert p.wait(10) == 0
    finally:
        watchdog.cancel()
        if p.poll() is None:
            p.kill()


def test_reset_leaves_subscribed_mode_and_resp3():
    # After RESET the connection is RESP2 and subscribed to nothing: an
    # array like a message is a reply again (the client ends once it
    # arrived), and after a new SUBSCRIBE the RESP2 message arrays are
    # messages, printed as pushes.
    p = subprocess.Popen([CLI, "-3", "-p", str(PORT), "--pipeline", "64"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watchdog = threading.Timer(20, p.kill)
    watchdog.start()
    try:
        p.stdin.write(b"DEL l\nRPUSH l message news x\nSUBSCRIBE news\nRESET\n"
                      b"LRANGE l 0 -1\nSUBSCRIBE news\n")
        p.stdin.flush()
        assert "map" in json.loads(p.stdout.readline())
        assert json.loads(p.stdout.readline()) in (0, 1)
        assert json.loads(p.stdout.readline()) == 3
        assert json.loads(p.stdout.readline()) == {"push": ["subscribe", "news", 1]}
        assert json.loads(p.stdout.readline()) == {"simple": "RESET"}
        assert json.loads(p.stdout.readline()) == ["message", "news", "x"]
        assert json.loads(p.stdout.readline()) == ["subscribe", "news", 1]
        st, out, err = cli(data=b"PUBLISH news hi\n")
        assert st == 0 and lines(out) == [1], (out, err)
        assert json.loads(p.stdout.readline()) == {"push": ["message", "news", "hi"]}
        p.stdin.write(b"RESET\nLRANGE l 0 -1\n")
        p.stdin.close()
        assert lines(p.stdout.read()) == [{"simple": "RESET"}, ["message", "news", "x"]]
        assert p.wait(10) == 0
    finally:
        watchdog.cancel()
        if p.poll() is None:
            p.kill()


def test_multi_exec_and_errors():
    st, out, err = cli(data=b"DEL n\nMULTI\nSET n 1\nINCR n\nEXEC\nINCR\nGET\nLPUSH n x\n")
    assert st == 0, err
    got = lines(out)
    assert got[:5] == [0, {"simple": "OK"}, {"simple": "QUEUED"}, {"simple": "QUEUED"},
                       [{"simple": "OK"}, 2]], got
    assert got[5]["error"].startswith("ERR wrong number of arguments"), got[5]
    assert got[6]["error"].startswith("ERR wrong number"), got[6]
    assert got[7]["error"].startswith("WRONGTYPE"), got[7]


def test_client_kill_mid_pipeline():
    text = b"SET k 1\nCLIENT KILL TYPE normal SKIPME no\n" + b"GET k\n" * 1000
    st, out, err = cli("--pipeline", "64", data=text)
    assert st == 1, (st, err)
    assert err.startswith(b"resp-cli: ") and err.count(b"\n") == 1, err
    assert lines(out)[0] == {"simple": "OK"}, out[:100]


server = shutil.which("redis-server")
if server is None:
    print("1..1\nnot ok 1 - redis-server is not installed (./dev deps installs it)")
    sys.exit(1)
PORT = free_port()
srv = subprocess.Popen([server, "--port", str(PORT), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--enable-debug-command", "local"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", PORT), 0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            case(fn)
finally:
    srv.terminate()
    srv.wait(10)

print("1..%d" % len(results))
for i, (ok, name, why) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    if not ok:
        print("# " + why.replace("\n", "\n# "))
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
