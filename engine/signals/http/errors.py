"""Every error the API returns is one JSON object naming the field: {"error": ..., "field": ...}."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from engine.models import InputError
from engine.numbers import json_default, tidy
from engine.store.writer import StoreError


class Json(JSONResponse):
    """Decimals as plain strings (never 1E+12), floats rounded as the CLI's --json does."""

    def render(self, content: Any) -> bytes:
        return json.dumps(tidy(content), default=json_default, separators=(",", ":")).encode()


def problem(status: int, field: str, message: str, **headers: str) -> Json:
    return Json(
        {"error": f"{field}: {message}", "field": field}, status_code=status, headers=headers
    )


def field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "metadata", "win_rate") -> metadata.win_rate; a query parameter by its name."""
    parts = (
        [str(p) for p in loc[1:]]
        if loc and loc[0] in ("body", "query", "path")
        else list(map(str, loc))
    )
    return ".".join(parts) or ("body" if loc and loc[0] == "body" else "request")


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, e: RequestValidationError) -> Json:
        err = e.errors()[0]
        message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        if err.get("type") == "missing":
            message = "is required"
        elif err.get("type") == "extra_forbidden":
            message = "unknown key"
        elif err.get("type") == "json_invalid":
            message = "not valid JSON"
        return problem(422, field_of(tuple(err.get("loc", ()))), message)

    @app.exception_handler(InputError)
    async def refused(_: Request, e: InputError) -> Json:
        return problem(409 if e.field == "trading_state" else 422, e.field, e.message)

    @app.exception_handler(StoreError)
    async def store(_: Request, e: StoreError) -> Json:
        return problem(503, "store", str(e))

    @app.exception_handler(HTTPException)
    async def http(_: Request, e: HTTPException) -> Json:
        field = {401: "authorization", 404: "path", 405: "method"}.get(e.status_code, "request")
        return problem(e.status_code, field, str(e.detail), **(e.headers or {}))
