#!/usr/bin/env python3
"""A server that answers every request with the end answer after a delay:
the latency-bound peer of `make bench` (a slow uplink, not a slow machine).
asyncio, keep-alive, any number of connections at once.

    slow_server.py ANSWER_FILE DELAY_S PORT_FILE
Writes the port it listens on (127.0.0.1, chosen by the system) to
PORT_FILE, then serves until killed."""
import asyncio
import os
import resource
import sys


async def serve(reader, writer, answer, delay):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            await asyncio.sleep(delay)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main():
    answer_file, delay, port_file = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    with open(answer_file, "rb") as f:
        answer = f.read().strip()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 8192), hard), hard))
    server = await asyncio.start_server(lambda r, w: serve(r, w, answer, delay),
                                        "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.replace(port_file + ".tmp", port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
