"""Adding the web UI to the API's application: the pages at /, their static files at /static."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ipledger.web.pages import router as page_router

__all__ = ["install_web"]

STATIC = Path(__file__).resolve().parent / "static"


def install_web(app: FastAPI) -> None:
    """Serve the web UI from ``app`` (made by ``api.app.create_app``), beside the API."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(page_router)
