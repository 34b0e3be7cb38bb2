"""Settings from flags, `IVRKIT_*` environment variables and an optional `.env` file."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ivrkit.trees._parse import MAX_TREE_BYTES

DEFAULT_DB = "sqlite:///ivrkit.db"
DEFAULT_API_BASE = "https://voice.8x8.com"


class Settings(BaseSettings):
    """Everything ivrkit can be told; flags override the environment, which overrides `.env`."""

    model_config = SettingsConfigDict(
        env_prefix="IVRKIT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    api_key: str | None = Field(default=None, description="Voice API key (bearer token).")
    subaccount: str | None = Field(default=None, description="8x8 subaccount id.")
    api_base: str = Field(default=DEFAULT_API_BASE, description="Voice API base URL.")
    db: str = Field(default=DEFAULT_DB, description="Store URL: sqlite:///path or postgresql://…")
    webhook_secret: str | None = Field(
        default=None, description="Expected Authorization header of webhook deliveries."
    )
    flow: str | None = Field(default=None, description="IVR tree file (default: simple_ivr).")
    caller_id: str | None = Field(default=None, description="Caller ID of outbound calls.")
    agent_number: str | None = Field(default=None, description="Number that 'agent' routes dial.")
    voice_profile: str | None = Field(default=None, description="Voice of every prompt.")
    public_url: str | None = Field(
        default=None, description="Public base URL of `ivrkit serve`, for webhook registration."
    )
    dashboard_token: str | None = Field(
        default=None,
        description="Token that logs in to the web dashboard; without it the dashboard is "
        "served on loopback binds only.",
    )
    dashboard_timezone: str = Field(
        default="UTC",
        description="IANA time zone the dashboard shows times in (Asia/Singapore); a viewer "
        "may choose another.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535, description="Port (0: any free one).")
    max_tree_bytes: int = Field(
        default=MAX_TREE_BYTES, ge=1, description="Largest tree file read, in bytes."
    )

    @field_validator("dashboard_token")
    @classmethod
    def _token_given(cls, token: str | None) -> str | None:
        if token is not None and not token.strip():
            raise ValueError("it is empty: give a long random string, or unset it")
        return token

    @field_validator("dashboard_timezone")
    @classmethod
    def _zone_known(cls, zone: str) -> str:
        if zone.strip().upper() == "UTC":
            return "UTC"
        try:
            ZoneInfo(zone.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{zone[:64]!r} is not a time zone: give one such as Asia/Singapore"
            ) from None
        return zone.strip()

    def tree_numbers(self) -> dict[str, str]:
        """Number overrides for the tree from settings."""
        numbers: dict[str, str] = {}
        if self.caller_id:
            numbers["caller_id"] = self.caller_id
        if self.agent_number:
            numbers["agent"] = self.agent_number
        return numbers
