"""Service settings, read once from the environment (prefix-free, e.g. ``DATABASE_URL``)."""

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./cpts-snp.db"
DEFAULT_SOLVER_GRACE_SECONDS = 60.0


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one object per line; text: for a developer's terminal"
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="serve Prometheus /metrics here (off if unset)"
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="larger bodies get 413")
    public_base_url: str = "http://127.0.0.1:8000"
    run_jobs: bool = True
    run_notifier: bool = True
    solver_grace_seconds: float = Field(default=DEFAULT_SOLVER_GRACE_SECONDS, ge=0)
    job_backend: Literal["inprocess", "procrastinate"] = "inprocess"
    job_stale_seconds: float = Field(
        default=60.0, gt=0, description="a running job whose heartbeat is older is failed"
    )
    worker_concurrency: int = Field(default=2, ge=1, le=64)
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0, le=600)
    worker_stalled_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="a worker silent this long is taken as dead"
    )

    db_pool_size: int | None = Field(default=None, ge=1, le=1000)
    db_max_overflow: int | None = Field(default=None, ge=0, le=1000)
    db_wait_seconds: float = Field(default=2.0, gt=0, le=60)
    db_write_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    db_write_queue: int = Field(default=1000, ge=0, le=100_000)
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        default="NORMAL",
        description="SQLite in WAL mode: NORMAL syncs the log to disk at checkpoints (a "
        "committed write survives a crash of the process, the last ones may be lost on a "
        "power cut or an OS crash); FULL syncs at every commit (survives both, slower)",
    )

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "CPTS SNP <no-reply@localhost>"
    smtp_timeout_seconds: float = 10.0
    webhook_timeout_seconds: float = 10.0
    webhook_allowed_networks: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list,
        description="networks webhooks may reach although not public, e.g. 10.1.2.0/24",
    )
    notify_max_attempts: int = 6
    notify_retry_seconds: float = 60.0

    session_idle_hours: float = Field(default=12.0, gt=0)
    invitation_valid_hours: float = Field(default=72.0, gt=0)
    sign_in_link_valid_minutes: float = Field(default=15.0, gt=0)
    sign_in_requests_per_address: int = Field(default=5, ge=1)
    sign_in_requests_per_ip: int = Field(default=30, ge=1)
    sign_in_rate_window_minutes: float = Field(default=60.0, gt=0)
    message_unread_delay_minutes: float = Field(
        default=10.0, gt=0, description="a referral message unread this long is notified"
    )
    message_posts_per_window: int = Field(default=20, ge=1)
    message_rate_window_seconds: int = Field(default=60, ge=1)

    rate_limit_window_seconds: int = Field(default=60, ge=1, le=3600)
    rate_limit_search_per_token: int = Field(
        default=600, ge=0, description="slot searches per token per window (0: no limit)"
    )
    rate_limit_booking_per_token: int = Field(
        default=60, ge=0, description="booking requests per token per window (0: no limit)"
    )
    rate_limit_messages_per_token: int = Field(
        default=300, ge=0, description="message route requests per token per window (0: none)"
    )
    rate_limit_feeds_per_ip: int = Field(
        default=300, ge=0, description="calendar feed requests per IP per window (0: no limit)"
    )
    rate_limit_sync_seconds: float = Field(
        default=1.0, gt=0, le=60, description="how often a process shares its counts"
    )

    events_keepalive_seconds: float = Field(default=15.0, gt=0, le=300)
    events_streams_per_user: int = Field(default=5, ge=1, le=100)
    events_streams_per_process: int = Field(default=1000, ge=1, le=100_000)

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """``WEBHOOK_ALLOWED_NETWORKS=10.1.2.0/24,127.0.0.1`` (a bare address is one host)."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is an embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def pool_size(self) -> int:
        """Connections each process keeps open (PostgreSQL 5, SQLite 5 by default)."""
        return self.db_pool_size if self.db_pool_size is not None else 5

    @property
    def max_overflow(self) -> int:
        """Extra connections a process may open at a peak (PostgreSQL 5, SQLite 10)."""
        if self.db_max_overflow is not None:
            return self.db_max_overflow
        return 10 if self.is_sqlite else 5

    @property
    def secure_cookies(self) -> bool:
        """Cookies only travel over HTTPS when the service is served over HTTPS."""
        return self.public_base_url.startswith("https://")

    @model_validator(mode="after")
    def _refuse_queue_on_sqlite(self) -> "Settings":
        """The procrastinate queue lives in PostgreSQL: SQLite runs jobs in-process."""
        if self.job_backend == "procrastinate" and self.is_sqlite:
            raise ValueError(
                "JOB_BACKEND: procrastinate needs PostgreSQL (DATABASE_URL is SQLite); "
                "use JOB_BACKEND=inprocess with SQLite"
            )
        if self.worker_stalled_seconds <= self.worker_heartbeat_seconds:
            raise ValueError("WORKER_STALLED_SECONDS must be longer than WORKER_HEARTBEAT_SECONDS")
        return self

    @property
    def uses_queue(self) -> bool:
        """Whether jobs go to ``cpts-snp worker`` processes (never run by the API)."""
        return self.job_backend == "procrastinate"

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "Settings":
        """Production must run on a real database server and behind HTTPS."""
        if self.environment == "production":
            if self.is_sqlite:
                raise ValueError("DATABASE_URL: production needs PostgreSQL, not SQLite")
            if not self.public_base_url.startswith("https://"):
                raise ValueError("PUBLIC_BASE_URL: production must be served over https://")
            if self.smtp_username and self.smtp_security == "none":
                raise ValueError("SMTP_SECURITY: production never sends SMTP credentials in clear")
        return self


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first use."""
    return Settings()
