"""A reverse proxy that adds a fixed delay to every call, to give a local stand-in
(moto) the latency of a real cloud API. For benchmarks only.

    python bench/proxy.py --target http://127.0.0.1:5000 --port 5001 --delay-ms 50
"""

from __future__ import annotations

import argparse
import asyncio

import aiohttp
from aiohttp import web

HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


def proxy_app(target: str, delay_s: float) -> web.Application:
    async def forward(request: web.Request) -> web.Response:
        await asyncio.sleep(delay_s)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        session: aiohttp.ClientSession = request.app["session"]
        async with session.request(
            request.method, target + request.path_qs, headers=headers, data=await request.read()
        ) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP}
            kept.pop("Content-Encoding", None)
            return web.Response(status=answer.status, body=body, headers=kept)

    async def session(app: web.Application):  # type: ignore[no-untyped-def]
        app["session"] = aiohttp.ClientSession(auto_decompress=True)
        yield
        await app["session"].close()

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.cleanup_ctx.append(session)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    args = parser.parse_args()
    web.run_app(
        proxy_app(args.target.rstrip("/"), args.delay_ms / 1000),
        host="127.0.0.1",
        port=args.port,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
