from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class LunchTable(Base):
    __tablename__ = "lunch_table"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    capacity: Mapped[int] = mapped_column(Integer, default=8)
    video_url: Mapped[str] = mapped_column(String(500), default="")
    topic: Mapped[str] = mapped_column(String(120), default="")
    host_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("role_link.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    host_name: Mapped[str] = mapped_column(String(80), default="")
    host_municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), nullable=True)
