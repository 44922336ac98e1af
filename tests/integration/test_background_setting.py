"""`run_background` (DOCKHAND_RUN_BACKGROUND) decides whether a server process starts its
background loops: it was read nowhere, and a process told to run none ran them all."""

from __future__ import annotations

from pathlib import Path

from app.background import start_background
from app.settings import load_settings
from tests.support.warehouse import make_app, prepare_database


def test_the_environment_switches_the_loops_off() -> None:
    assert load_settings(env={"DOCKHAND_RUN_BACKGROUND": "0"}).run_background is False
    assert load_settings(env={}).run_background is True


def test_a_process_with_the_loops_off_starts_none(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    prepare_database(url)
    app = make_app(url)  # run_background=False, as every in-process test app
    assert start_background(app) == 0
