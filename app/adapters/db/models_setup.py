"""Station set-up saved from the browser (/setup): the printer, scale, camera and carrier
account a station uses. A saved device takes precedence over config/stations.toml; a column
left empty means "as stations.toml says" (app/services/station_setup.py merges the two)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import Base


class StationDevice(Base):
    __tablename__ = "station_devices"
    station: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(80))
    # {"kind": "zpl", "host": "10.0.40.21", "port": 9100, "dpi": 203, "name": ""} or {"kind": "pdf"}
    printer: Mapped[dict[str, Any] | None]
    # The scale table as stations.toml writes it: {"driver": "serial", "port": ..., ...}
    scale: Mapped[dict[str, Any] | None]
    # The browser camera chosen on the set-up page: {"label": ..., "device_id": ...}
    camera: Mapped[dict[str, Any] | None]
    carrier_account: Mapped[str | None] = mapped_column(String(40))
    updated_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime]
