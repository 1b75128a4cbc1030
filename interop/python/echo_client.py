#!/usr/bin/python3
"""Interop peer: Python's websockets (Debian's python3-websockets) against a
luaws (or OpenResty) echo handler.

    /usr/bin/python3 echo_client.py URL [--only CHECKS] [--pong-any] [--close-code N] [--compression]

CHECKS is a comma-separated subset of: text, binary, fragmented-text,
fragmented-binary, ping, close (default: all).
  --pong-any      the server answers pings with an empty pong (the seed
                  handler's send_pong()): only an empty ping is checked, since
                  websockets matches pongs to pings by payload
  --close-code N  the close code expected from the server after we close with
                  1000 "bye" (default 1000; 1005 = a close frame without status)
  --compression   the server must accept the permessage-deflate offer (luaws's
                  opt-in extension); without it, it must accept none
Prints "ok CHECK ..." per step; exits 1 at the first mismatch, 2 on usage.
"""
import argparse
import asyncio
import sys

import websockets

ALL = ["text", "binary", "fragmented-text", "fragmented-binary", "ping", "close"]
STEP_TIMEOUT = 10.0
OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2


class Mismatch(Exception):
    pass


def show(b):
    if isinstance(b, str):
        b = b.encode("utf-8")
    head = b[:64].hex()
    return "%d bytes %s%s" % (len(b), head, "..." if len(b) > 64 else "")


def pseudo_random(n, seed):
    x = seed & 0xFFFFFFFF
    out = bytearray(n)
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = x >> 24
    return bytes(out)


async def step(what, aw):
    try:
        return await asyncio.wait_for(aw, STEP_TIMEOUT)
    except asyncio.TimeoutError:
        raise Mismatch("%s: nothing received in %gs" % (what, STEP_TIMEOUT))
    except websockets.ConnectionClosed as e:
        raise Mismatch("%s: connection closed (%s)" % (what, e))


async def expect_echo(ws, what, want):
    got = await step(what, ws.recv())
    if type(got) is not type(want):
        raise Mismatch("%s: echo is %s, sent %s" % (what, type(got).__name__, type(want).__name__))
    if got != want:
        raise Mismatch("%s: echo %s, sent %s" % (what, show(got), show(want)))
    n = len(want.encode("utf-8")) if isinstance(want, str) else len(want)
    print("ok %s (%d bytes)" % (what, n))


async def run(args):
    only = args.only
    try:
        ws = await asyncio.wait_for(
            websockets.connect(args.url, max_size=None, ping_interval=None, open_timeout=STEP_TIMEOUT),
            STEP_TIMEOUT + 1,
        )
    except Exception as e:  # noqa: BLE001 -- any failure to connect is a failure
        raise Mismatch("connect %s: %r" % (args.url, e))
    # websockets offers permessage-deflate; lua-resty-websocket implements none, luaws
    # has it as an opt-in.
    if args.compression:
        if not any(e.name == "permessage-deflate" for e in ws.extensions):
            raise Mismatch("handshake: extensions %r, want permessage-deflate" % (ws.extensions,))
    elif ws.extensions:
        raise Mismatch("handshake: server accepted extensions %r" % (ws.extensions,))
    print("ok connect %s" % args.url)

    if "text" in only:
        for i, s in enumerate(["hello luaws", "", "héllo wörld — 你好 🌍", "x" * 125, "y" * 126, "z" * 60000]):
            await ws.send(s)
            await expect_echo(ws, "text#%d" % i, s)
    if "binary" in only:
        for i, b in enumerate([bytes(range(256)), b"", pseudo_random(65536 + 17, 7), pseudo_random(300000, 11)]):
            await ws.send(b)
            await expect_echo(ws, "binary#%d" % i, b)
    if "fragmented-text" in only:
        # "é" (c3 a9) split across frames: only the whole message is UTF-8.
        whole = "frag-é-ment-你好".encode("utf-8")
        cut = whole.index(b"\xc3") + 1
        await ws.write_frame(False, OP_TEXT, whole[:cut])
        await ws.write_frame(False, OP_CONT, whole[cut:cut + 4])
        pong = None
        if "ping" in only:
            pong = await ws.ping(b"" if args.pong_any else b"mid")
        await ws.write_frame(True, OP_CONT, whole[cut + 4:])
        if pong is not None:
            await step("fragmented-text pong", pong)
        await expect_echo(ws, "fragmented-text", whole.decode("utf-8"))
    if "fragmented-binary" in only:
        whole = pseudo_random(5000, 3)
        await ws.send([whole[:1], b"", whole[1:4000], whole[4000:]])
        await expect_echo(ws, "fragmented-binary", whole)
    if "ping" in only:
        pings = [b""] if args.pong_any else [b"ping-1", b"", pseudo_random(125, 5)]
        for i, p in enumerate(pings):
            waiter = await ws.ping(p)
            await step("ping#%d" % i, waiter)
            print("ok ping#%d (%d bytes)" % (i, len(p)))
    if "close" in only:
        await step("close", ws.close(1000, "bye"))
        if ws.close_code != args.close_code:
            raise Mismatch("close: server closed with %s %r, want %d" % (ws.close_code, ws.close_reason, args.close_code))
        if args.close_code == 1000 and ws.close_reason != "bye":
            raise Mismatch("close: reason %r, want 'bye'" % ws.close_reason)
        print("ok close (%s %r)" % (ws.close_code, ws.close_reason))
    else:
        ws.transport.abort()
    print("PASS")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url")
    p.add_argument("--only", default=",".join(ALL))
    p.add_argument("--pong-any", action="store_true")
    p.add_argument("--close-code", type=int, default=1000)
    p.add_argument("--compression", action="store_true")
    args = p.parse_args()
    args.only = [c for c in args.only.split(",") if c]
    for c in args.only:
        if c not in ALL:
            p.error("unknown check %s" % c)
    try:
        asyncio.run(run(args))
    except Mismatch as e:
        print("FAIL %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
