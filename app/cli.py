"""`dockhand serve | demo | demo-oms | simulate | seed --demo | db upgrade | import`.

Heavy imports happen inside each command: `serve` must monkey-patch gevent before
anything imports sockets, ssl or threading.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dockhand", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server and its background workers")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (gunicorn); more than one needs a message queue",
    )

    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])

    seed = sub.add_parser("seed", help="load the demo warehouse into the configured database")
    seed.add_argument("--demo", action="store_true", required=True)
    seed.add_argument("--skus", type=int, default=200)

    imp = sub.add_parser("import", help="import allocations or stock from a CSV file")
    imp.add_argument("what", choices=["allocations", "stock"])
    imp.add_argument("file")
    imp.add_argument("--report", help="also write the row errors to this CSV file")
    imp.add_argument("--actor", default="import", help="stock: who the ledger names")
    imp.add_argument("--allow-quarantine", action="store_true", help="stock: into quarantine")
    imp.add_argument("--check", action="store_true", help="stock: report errors, book nothing")
    sub.add_parser(
        "replenishment",
        help="min/max per pick face, tasks, low-stock levels, alerts "
        "(`dockhand replenishment --help`)",
        add_help=False,
    )

    sub.add_parser("stock", help="stock checks (`dockhand stock verify`)", add_help=False)
    sub.add_parser(
        "counts",
        help="cycle counts: `dockhand counts plan [--abc] [--zone Z]`, `dockhand counts request`",
        add_help=False,
    )
    sub.add_parser(
        "labels",
        help="label sheets (PDF): `dockhand labels locations|totes|badges --out F.pdf`",
        add_help=False,
    )
    sub.add_parser(
        "setup",
        help="station set-up: `dockhand setup datawedge --out F.pdf [--url URL]`",
        add_help=False,
    )
    sub.add_parser(
        "i18n", help="translations: `dockhand i18n extract|update|compile|check`", add_help=False
    )
    sub.add_parser(
        "first-shift",
        help="new people: `dockhand first-shift seed|people|mark|start|end`",
        add_help=False,
    )
    sub.add_parser(
        "cartonize",
        help="carton benchmark instances in, results out (`dockhand cartonize --help`)",
        add_help=False,
    )
    sub.add_parser(
        "demo-oms",
        help="a simulated upstream OMS (its own HTTP server); "
        "`dockhand demo-oms --help` lists its options",
        add_help=False,
    )

    sim = sub.add_parser("simulate", help="simulated handhelds and stations over Socket.IO")
    sim.add_argument("--url", default="http://127.0.0.1:5000")
    sim.add_argument("--pickers", type=int, default=2)
    sim.add_argument("--minutes", type=float, default=5.0)
    sim.add_argument("--no-supervisor", action="store_true", help="do not build and release waves")
    sim.add_argument("--pace", type=float, default=0.2, help="seconds between scans")

    demo = sub.add_parser("demo", help="everything at once on SQLite: server, OMS, simulation")
    demo.add_argument("--port", type=int, default=5000)
    demo.add_argument("--oms-port", type=int, default=8765)
    demo.add_argument("--rate", type=float, default=30.0, help="allocations per minute")
    demo.add_argument("--pickers", type=int, default=3)
    demo.add_argument("--minutes", type=float, default=60.0)
    demo.add_argument("--data-dir", default="var/demo")
    demo.add_argument("--fresh", action="store_true", help="start from an empty database")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["demo-oms"]:
        from app.demo.oms_server import main as oms_main

        return oms_main(argv[1:])
    if argv[:1] == ["reports"]:
        from stations.reports.cli import main as reports_main

        return reports_main(argv[1:])
    if argv[:1] == ["setup"]:
        from stations.setup.cli import main as setup_main

        return setup_main(argv[1:])
    if argv[:1] == ["labels"]:
        from app.labels_cli import main as labels_main

        return labels_main(argv[1:])
    if argv[:1] == ["replenishment"]:
        from app.replenishment_cli import main as replenishment_main

        return replenishment_main(argv[1:])
    if argv[:1] == ["stock"]:
        from app.stock_cli import main as stock_main

        return stock_main(argv[1:])
    if argv[:1] == ["counts"]:
        from app.counts_cli import main as counts_main

        return counts_main(argv[1:])
    if argv[:1] == ["first-shift"]:
        from app.first_shift_cli import main as first_shift_main

        return first_shift_main(argv[1:])
    if argv[:1] == ["i18n"]:
        from app.i18n_catalogs import main as i18n_main

        return i18n_main(argv[1:])
    if argv[:1] == ["decode"]:
        from app.decode import main as decode_main

        return decode_main(argv[1:])
    if argv[:1] == ["cartonize"]:
        from app.cartonize import main as cartonize_main

        return cartonize_main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "serve":
        if args.workers > 1:
            return _serve_workers(args.host, args.port, args.workers)
        return _serve(args.host, args.port)
    if args.command == "db":
        from app.adapters.db.migrate import upgrade
        from app.settings import load_settings

        settings = load_settings()
        upgrade(settings.database_url)
        print(f"database at head: {_redacted(settings.database_url)}")
        return 0
    if args.command == "seed":
        return _seed(args.skus)
    if args.command == "import" and args.what == "stock":
        from app.replenishment_cli import import_stock_command

        return import_stock_command(
            args.file, args.report, args.actor, args.allow_quarantine, args.check
        )
    if args.command == "import":
        return _import(args.file, args.report)
    if args.command == "simulate":
        from app.simulate import run

        report = run(
            args.url,
            args.pickers,
            args.minutes,
            supervisor=not args.no_supervisor,
            pace_s=args.pace,
        )
        print(json.dumps(report))
        return 0
    if args.command == "demo":
        from app.demo.runner import run_demo

        return run_demo(args)
    return 2


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _seed(skus: int) -> int:
    from app.adapters.config_files import load_layout
    from app.adapters.db.engine import make_engine
    from app.adapters.db.uow import SessionFactory
    from app.services.clock import system_clock
    from app.services.seeding import describe, seed_demo
    from app.settings import load_settings

    settings = load_settings()
    try:
        layout = load_layout(settings.config_file("warehouse.toml"))
    except ValueError as exc:  # LayoutError: every bad key of the file, by name
        print(f"seed: {exc}", file=sys.stderr)
        return 2
    uow = SessionFactory(make_engine(settings.database_url))
    try:
        report = seed_demo(uow, layout, system_clock, sku_count=skus)
    except RuntimeError as exc:
        print(f"seed: {exc}", file=sys.stderr)
        return 1
    print("seeded demo warehouse:", json.dumps(describe(report)))
    return 0


def _import(file: str, report_path: str | None) -> int:
    import csv
    from pathlib import Path

    from app.adapters.db.engine import make_engine
    from app.adapters.db.uow import SessionFactory
    from app.services.clock import system_clock
    from app.services.csv_import import import_allocations
    from app.settings import load_settings

    settings = load_settings()
    uow = SessionFactory(make_engine(settings.database_url))
    path = Path(file)
    if not path.exists():
        print(f"import: no such file {file}", file=sys.stderr)
        return 2
    report = import_allocations(path, uow, system_clock)
    for err in report.errors:
        print(f"row {err.row}: {err.allocation_id or '-'}: {err.field}: {err.error}")
    if report_path:
        with open(report_path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["row", "allocation_id", "field", "error"])
            w.writerows([e.row, e.allocation_id, e.field, e.error] for e in report.errors)
    print(
        json.dumps(
            {
                "allocations": report.allocations,
                "by_status": report.by_status,
                "row_errors": len(report.errors),
            }
        )
    )
    return 1 if report.errors else 0


def _configure_logging(fmt: str) -> None:
    import logging

    handler = logging.StreamHandler()
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
                rename_fields={"asctime": "time", "levelname": "level"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def _serve_workers(host: str | None, port: int | None, workers: int) -> int:
    """Several gevent workers behind one port. Rooms span them through the Redis message
    queue; clients use the websocket transport only, so no sticky sessions are needed."""
    import os

    from app.settings import load_settings

    settings = load_settings()
    if not settings.message_queue:
        print(
            "serve: --workers > 1 needs DOCKHAND_MESSAGE_QUEUE=redis://... so that every "
            "worker's screens hear every other worker's events",
            file=sys.stderr,
        )
        return 2
    if settings.database_url.startswith("sqlite"):
        print(
            "serve: note: several workers on SQLite share one writer; use PostgreSQL to scale out",
            file=sys.stderr,
        )
    bind = f"{host or settings.host}:{port or settings.port}"
    print(f"Dockhand serving on http://{bind}/ with {workers} workers", flush=True)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    os.execv(
        gunicorn,
        [
            gunicorn,
            "--worker-class",
            "geventwebsocket.gunicorn.workers.GeventWebSocketWorker",
            "--workers",
            str(workers),
            "--bind",
            bind,
            "--graceful-timeout",
            "10",
            "--log-level",
            "info",
            "app.wsgi:application",
        ],
    )


def _serve(host: str | None, port: int | None) -> int:
    from gevent import monkey

    monkey.patch_all()

    from app import create_app
    from app.adapters.db.psycopg_gevent import use_hub_wait
    from app.background import start_background
    from app.settings import load_settings

    use_hub_wait()  # psycopg waits for PostgreSQL on gevent's hub

    settings = load_settings(async_mode="gevent")
    _configure_logging(settings.log_format)
    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    settings = settings.with_overrides(**overrides)
    app = create_app(settings)
    start_background(app)
    print(f"Dockhand serving on http://{settings.host}:{settings.port}/", flush=True)
    from app.web.serving import serve, tune_garbage_collector

    tune_garbage_collector()
    serve(app, settings.host, settings.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
