"""Request counts per limit family, caller key and time window, summed over processes."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base


class RateCount(Base):
    """How many requests of one family one caller made in one window, all processes
    together: each process adds its own count every second or so.

    ``key`` is a digest of the token or IP address, never the token or the address itself.
    """

    __tablename__ = "rate_counts"

    family: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer)
