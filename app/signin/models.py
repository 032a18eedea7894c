"""Sign-in links (invitations and e-mailed links), link requests and web sessions."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, UTCDateTime


class LinkKind(StrEnum):
    """An invitation from the coordinator, or a link the user asked for at /connexion."""

    invitation = "invitation"
    sign_in = "sign_in"


class SignInLink(IdMixin, TenantMixin, Base):
    """A single-use link that opens a web session; only its SHA-256 hash is stored."""

    __tablename__ = "sign_in_links"
    __table_args__ = (CheckConstraint("kind IN ('invitation', 'sign_in')", name="kind_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInRequest(IdMixin, Base):
    """One request for a link at /connexion, kept to rate-limit per address and per IP.

    The address is stored as a digest only: this table must not become a list of
    who tried to sign in.
    """

    __tablename__ = "sign_in_requests"
    __table_args__ = (
        Index("ix_sign_in_requests_email_at", "email_digest", "created_at"),
        Index("ix_sign_in_requests_ip_at", "ip", "created_at"),
    )

    email_digest: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebSession(IdMixin, TenantMixin, Base):
    """A signed-in browser: the cookie holds a secret whose hash is ``token_hash``."""

    __tablename__ = "web_sessions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
