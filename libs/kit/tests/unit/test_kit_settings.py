"""A bad setting is named in the error, and its value is never printed."""

import pytest
from onboarding_kit.settings import ServiceSettings
from pydantic import ValidationError


def test_a_bad_value_is_named_but_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/x")
    monkeypatch.setenv("DB_POOL_SIZE", "hunter2-secret")
    with pytest.raises(ValidationError) as raised:
        ServiceSettings(service_name="test")
    assert "db_pool_size" in str(raised.value)
    assert "hunter2-secret" not in str(raised.value)
