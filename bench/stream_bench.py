"""Benchmark: CPU per request of the checker's asyncio stream against httpcore's own (anyio) backend.

    python bench/stream_bench.py            # 2,000 requests, 100 at once, each on a fresh connection

A loopback server in another process answers every request at once; only this process's CPU time is
counted, so the figure is what one status check costs our event loop in network-stream layers.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time

import httpcore

from incident_mcp.status.transport import open_asyncio_stream

SERVER = """
import asyncio, sys
async def handle(reader, writer):
    await reader.readuntil(b"\\r\\n\\r\\n")
    writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok")
    await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Our stream, without the address policy (the loopback server is trusted here)."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: object = None) -> httpcore.AsyncNetworkStream:
        return await open_asyncio_stream(host, port, local_address, None)


async def run(backend: httpcore.AsyncNetworkBackend | None, port: int, total: int, width: int) -> float:
    """CPU seconds per request for ``total`` requests, ``width`` at once, each on a fresh connection."""
    gate = asyncio.Semaphore(width)

    async def one() -> None:
        async with gate:
            origin = httpcore.Origin(b"http", b"127.0.0.1", port)
            connection = httpcore.AsyncHTTPConnection(origin, network_backend=backend)
            response = await connection.request("GET", f"http://127.0.0.1:{port}/")
            assert response.status == 200
            await connection.aclose()

    begin = time.process_time()
    await asyncio.gather(*(one() for _ in range(total)))
    return (time.process_time() - begin) / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--width", type=int, default=100)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        asyncio.run(run(AsyncioBackend(), port, 200, args.width))  # warm-up
        anyio_cpu = asyncio.run(run(None, port, args.requests, args.width))
        ours_cpu = asyncio.run(run(AsyncioBackend(), port, args.requests, args.width))
    finally:
        server.terminate()
        server.wait()
    print(f"httpcore anyio backend : {anyio_cpu * 1e6:7.0f} µs CPU per request")
    print(f"our asyncio stream     : {ours_cpu * 1e6:7.0f} µs CPU per request  ({anyio_cpu / ours_cpu:.2f}× less)")


if __name__ == "__main__":
    main()
