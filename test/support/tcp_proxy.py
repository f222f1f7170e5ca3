#!/usr/bin/env python3
"""A proxy for the end-to-end tests: it sits between one client (an operator) and the
sandbox's API server and, on command, misbehaves the way a network or an overloaded server
does.

    tcp_proxy.py LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT CONTROL_PORT [CERT KEY CA]

With CERT and KEY it terminates TLS itself (the API server's own certificate and key, so the
client's verification still passes) and speaks TLS to the upstream, checked against CA: the
misbehaviour then applies to the HTTP bytes alone, never to a handshake, so a delayed answer
is the answer to a request the server did receive. Without them, bytes pass untouched.

Commands, one per line on the control port, each answered "ok" (or "error ..."):
    pass            forward everything (the start)
    delay MS        hold each server-to-client byte for MS milliseconds (0: none)
    hold            blackhole: connections stay open, bytes in both directions are dropped,
                    new connections are accepted and then get nothing
    release         end a hold: every connection that lived through it is closed
    cut             close every connection now
    refuse          close new connections at once (and `cut` the open ones)
    accept          take new connections again
    status          the number of open connections
"""

import asyncio
import ssl
import sys
import time


class Proxy:
    def __init__(self, upstream_host, upstream_port, upstream_tls=None):
        self.upstream = (upstream_host, upstream_port)
        self.upstream_tls = upstream_tls
        self.delay = 0.0
        self.holding = False
        self.refusing = False
        self.conns = set()
        self.held = set()

    async def serve(self, reader, writer):
        if self.refusing:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(
                *self.upstream, ssl=self.upstream_tls)
        except (OSError, ssl.SSLError):
            writer.close()
            return
        conn = (writer, up_writer)
        self.conns.add(conn)
        if self.holding:
            self.held.add(conn)
        try:
            await asyncio.gather(
                self.pipe(reader, up_writer, conn, to_server=True),
                self.pipe(up_reader, writer, conn, to_server=False),
            )
        finally:
            self.conns.discard(conn)
            self.held.discard(conn)
            for w in conn:
                w.close()

    async def pipe(self, src, dst, conn, to_server):
        queue = asyncio.Queue()
        sender = asyncio.ensure_future(self.send_in_order(queue, dst))
        try:
            while True:
                data = await src.read(65536)
                if not data:
                    break
                if self.holding:
                    continue  # blackholed: dropped, never forwarded later
                due = time.monotonic() + (0.0 if to_server else self.delay)
                await queue.put((due, data))
        except Exception:  # a connection that failed or was cut: this direction is done
            pass
        finally:
            await queue.put(None)
            await sender
            for w in conn:
                w.close()

    @staticmethod
    async def send_in_order(queue, dst):
        while True:
            item = await queue.get()
            if item is None:
                return
            due, data = item
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                dst.write(data)
                await dst.drain()
            except Exception:  # the other side is gone
                return

    def close_all(self, conns):
        for conn in list(conns):
            for w in conn:
                w.close()

    def command(self, line):
        words = line.split()
        if not words:
            return "error: empty command"
        op = words[0]
        if op == "pass":
            self.delay, self.holding = 0.0, False
        elif op == "delay" and len(words) == 2:
            self.delay = int(words[1]) / 1000.0
        elif op == "hold":
            self.holding = True
            self.held = set(self.conns)
        elif op == "release":
            self.holding = False
            self.close_all(self.held)
            self.held = set()
        elif op == "cut":
            self.close_all(self.conns)
        elif op == "refuse":
            self.refusing = True
            self.close_all(self.conns)
        elif op == "accept":
            self.refusing = False
        elif op == "status":
            return "ok %d" % len(self.conns)
        else:
            return "error: unknown command %r" % line
        return "ok"

    async def control(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write((self.command(line.decode().strip()) + "\n").encode())
                await writer.drain()
        finally:
            writer.close()


async def main():
    listen, host, port, control = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    serving_tls = upstream_tls = None
    if len(sys.argv) == 8:
        cert, key, ca = sys.argv[5:8]
        serving_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        serving_tls.load_cert_chain(cert, key)
        upstream_tls = ssl.create_default_context(cafile=ca)
    proxy = Proxy(host, port, upstream_tls)
    server = await asyncio.start_server(proxy.serve, "127.0.0.1", listen, ssl=serving_tls)
    ctl = await asyncio.start_server(proxy.control, "127.0.0.1", control)
    print("proxy on 127.0.0.1:%d to %s:%d, control on %d" % (listen, host, port, control), flush=True)
    async with server, ctl:
        await asyncio.gather(server.serve_forever(), ctl.serve_forever())


if __name__ == "__main__":
    asyncio.run(main())
