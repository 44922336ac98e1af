from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from app.web.api import api
    from app.web.errors import register_errors
    from app.web.health import health
    from app.web.home import home
    from app.web.i18n import init_i18n
    from app.web.metrics import register_metrics
    from app.web.openapi import docs
    from app.web.security import register_security

    app.register_blueprint(api)
    app.register_blueprint(health)
    app.register_blueprint(home)
    app.register_blueprint(docs)
    register_errors(app)
    register_metrics(app)
    register_security(app)
    init_i18n(app)
