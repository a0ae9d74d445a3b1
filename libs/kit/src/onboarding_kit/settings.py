"""Settings read from the environment (and nothing else), one class per service."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    # A bad value is named in the error, never printed: it may be a secret.
    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    service_name: str
    database_url: str = Field(description="postgresql://user:password@host:port/database")
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_prefix: str = Field(
        default="",
        description="Prepended to every topic name, so several environments can share a cluster",
    )
    kafka_partitions: int = Field(default=6, ge=1)
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    outbox_batch_size: int = Field(default=500, ge=1)
    outbox_poll_interval_s: float = Field(default=1.0, gt=0)
    consumer_batch_size: int = Field(default=500, ge=1)
    consumer_max_attempts: int = Field(default=5, ge=1)
    db_pool_size: int = Field(default=10, ge=2)
    ops_api_token: str | None = Field(
        default=None,
        min_length=16,
        description="Guards the operations API (dead letters); without it that API is off",
    )
    inbox_retention_hours: float = Field(
        default=8 * 24,
        gt=0,
        description="How long applied event ids are kept; longer than the topics' retention",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, description="Where spans go by OTLP over HTTP; unset, none do"
    )
    traces_dir: str | None = Field(
        default=None, description="A directory where spans are written as JSON lines"
    )
    lag_sample_interval_s: float = Field(
        default=5.0, gt=0, description="How often the consumer group's lag is sampled"
    )
    assignment_grace_s: float = Field(
        default=60.0,
        ge=0,
        description="How long after start a consumer may hold no partition and still be ready",
    )
    outbox_stuck_s: float = Field(
        default=300.0,
        gt=0,
        description="An outbox whose oldest row is older than this makes the service not ready",
    )
