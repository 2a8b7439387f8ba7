"""The ingest ceiling: the same server stack answering an endpoint that only parses and commits.

Run as ``python -m bench.ceiling --database-url URL --port P``. One FastAPI app,
served by uvicorn exactly as ``monitor serve`` serves the monitor (same host,
log level, event loop and HTTP implementation), with one ``POST`` endpoint
that reads the body, parses its JSON and inserts the raw bytes in one
transaction through ``monitor.store.create_store_engine``, off the event loop
as the monitor does. ``GET /healthz`` and ``GET /empty`` answer a constant.
"""

from __future__ import annotations

import argparse
import json

import uvicorn
from fastapi import FastAPI, Request
from sqlalchemy import Column, Engine, Integer, LargeBinary, MetaData, Table, insert
from starlette.concurrency import run_in_threadpool

from monitor.store import create_store_engine

metadata = MetaData()
raw = Table(
    "bench_raw_delivery",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("body", LargeBinary, nullable=False),
)


def create_ceiling_app(engine: Engine) -> FastAPI:
    """The bare app: parse the body, commit it raw, answer."""
    app = FastAPI()

    def commit(body: bytes) -> None:
        with engine.begin() as connection:
            connection.execute(insert(raw).values(body=body))

    @app.post("/ingest")
    async def ingest(request: Request) -> dict[str, int]:
        body = await request.body()
        alerts = json.loads(body)["alerts"]
        await run_in_threadpool(commit, body)
        return {"accepted": len(alerts)}

    @app.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/empty")
    async def empty() -> dict[str, bool]:
        return {"ok": True}

    return app


def main() -> None:
    """Create the table and serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    engine = create_store_engine(args.database_url)
    metadata.create_all(engine)
    uvicorn.run(create_ceiling_app(engine), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
