"""Service settings, read once from the environment (prefix-free, e.g. ``DATABASE_URL``)."""

from functools import lru_cache
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./cpts-snp.db"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    public_base_url: str = "http://127.0.0.1:8000"
    run_jobs: bool = True

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "Settings":
        """Production must run on a real database server and behind HTTPS."""
        if self.environment == "production":
            if self.database_url.startswith("sqlite"):
                raise ValueError("DATABASE_URL: production needs PostgreSQL, not SQLite")
            if not self.public_base_url.startswith("https://"):
                raise ValueError("PUBLIC_BASE_URL: production must be served over https://")
        return self


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first use."""
    return Settings()
