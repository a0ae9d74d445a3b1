"""Where `onboard` finds the services, the key and the ops token: .run/env < environment <
flags."""

from pathlib import Path

import pytest
from onboarding_cli.config import (
    DEFAULT_URL,
    ConfigError,
    load_config,
    load_ops_config,
    parse_env_file,
)
from onboarding_cli.main import app
from typer.testing import CliRunner


def write_env(directory: Path, text: str) -> Path:
    (directory / ".run").mkdir(parents=True)
    path = directory / ".run" / "env"
    path.write_text(text)
    return path


def test_the_env_file_alone(tmp_path: Path) -> None:
    path = write_env(tmp_path, "ENROLMENT_URL=http://file:8001/\nONBOARDING_API_KEY=file-key\n")
    config = load_config(environ={}, cwd=tmp_path)
    assert config.url.value == "http://file:8001"  # the trailing slash is dropped
    assert config.require_api_key() == "file-key"
    assert config.env_file == path
    assert str(path) in config.api_key.source if config.api_key else False


def test_the_environment_beats_the_file_and_flags_beat_both(tmp_path: Path) -> None:
    write_env(tmp_path, "ENROLMENT_URL=http://file:1\nONBOARDING_API_KEY=file-key\n")
    environ = {"ENROLMENT_URL": "http://env:2", "ONBOARDING_API_KEY": "env-key"}

    from_env = load_config(environ=environ, cwd=tmp_path)
    assert (from_env.url.value, from_env.require_api_key()) == ("http://env:2", "env-key")
    assert from_env.url.source == "$ENROLMENT_URL"

    from_flags = load_config(url="http://flag:3", api_key="flag-key", environ=environ, cwd=tmp_path)
    assert (from_flags.url.value, from_flags.require_api_key()) == ("http://flag:3", "flag-key")
    assert from_flags.api_key is not None and from_flags.api_key.source == "--api-key"

    # each setting is resolved on its own: a flag for one, the file for the other
    mixed = load_config(url="http://flag:3", environ={}, cwd=tmp_path)
    assert (mixed.url.value, mixed.require_api_key()) == ("http://flag:3", "file-key")


def test_an_empty_environment_variable_does_not_hide_the_file(tmp_path: Path) -> None:
    write_env(tmp_path, "ONBOARDING_API_KEY=file-key\n")
    config = load_config(environ={"ONBOARDING_API_KEY": ""}, cwd=tmp_path)
    assert config.require_api_key() == "file-key"


def test_the_env_file_is_found_in_a_parent_directory(tmp_path: Path) -> None:
    write_env(tmp_path, "ONBOARDING_API_KEY=parent-key\n")
    write_env(tmp_path / "other", "ONBOARDING_API_KEY=sibling-key\n")
    deep = tmp_path / "services" / "enrolment" / "src"
    deep.mkdir(parents=True)
    assert load_config(environ={}, cwd=deep).require_api_key() == "parent-key"
    # the nearest one wins
    nested = tmp_path / "other" / "deeper"
    nested.mkdir()
    assert load_config(environ={}, cwd=nested).require_api_key() == "sibling-key"


def test_without_a_file_the_url_defaults_and_a_missing_key_says_what_to_do(
    tmp_path: Path,
) -> None:
    config = load_config(environ={}, cwd=tmp_path)
    assert config.url.value == DEFAULT_URL
    assert config.env_file is None
    with pytest.raises(ConfigError, match=r"--api-key.*ONBOARDING_API_KEY.*make up"):
        config.require_api_key()


def test_a_url_without_a_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must start with http"):
        load_config(url="localhost:8001", environ={}, cwd=tmp_path)


def test_the_env_file_syntax() -> None:
    text = """
        # written by make up
        export ENROLMENT_URL="http://127.0.0.1:8001"
        ONBOARDING_API_KEY='k=with=equals'
        MAIL_DIR=/srv/mail
        not a pair
    """
    assert parse_env_file(text) == {
        "ENROLMENT_URL": "http://127.0.0.1:8001",
        "ONBOARDING_API_KEY": "k=with=equals",
        "MAIL_DIR": "/srv/mail",
    }


def test_onboard_config_shows_each_value_and_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_env(tmp_path, "ENROLMENT_URL=http://file:8001\nONBOARDING_API_KEY=secret-file-key\n")
    monkeypatch.chdir(tmp_path / ".run")  # a subdirectory: found in the parent
    monkeypatch.setenv("ONBOARDING_API_KEY", "secret-env-key")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "http://file:8001" in result.output
    assert "ENROLMENT_URL in" in result.output
    assert "$ONBOARDING_API_KEY" in result.output
    assert "secret-env-key" not in result.output  # the key itself is masked


def test_a_command_without_a_key_exits_2_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["funnel"])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: no API key")
    assert "Traceback" not in result.output


def test_the_ops_settings_file_then_environment_then_flag(tmp_path: Path) -> None:
    path = write_env(
        tmp_path,
        "ENROLMENT_URL=http://file:1\nNOTIFICATION_URL=http://file:3/\nOPS_API_TOKEN=file-token\n",
    )
    from_file = load_ops_config(environ={}, cwd=tmp_path)
    assert from_file.require_token() == "file-token"
    assert from_file.token is not None and from_file.token.source == f"OPS_API_TOKEN in {path}"
    assert {s: u.value for s, u in from_file.urls.items()} == {
        "enrolment": "http://file:1",
        "invitation": "http://127.0.0.1:8002",  # as `make up` starts it
        "notification": "http://file:3",
        "registration": "http://127.0.0.1:8004",
    }
    assert from_file.urls["invitation"].source == "the default"

    environ = {"NOTIFICATION_URL": "http://env:3", "OPS_API_TOKEN": "env-token"}
    from_env = load_ops_config(environ=environ, cwd=tmp_path)
    assert from_env.require_token() == "env-token"
    assert from_env.urls["notification"].value == "http://env:3"
    assert from_env.urls["notification"].source == "$NOTIFICATION_URL"
    assert from_env.urls["enrolment"].value == "http://file:1"

    from_flag = load_ops_config(ops_token="flag-token", environ=environ, cwd=tmp_path)
    assert from_flag.token is not None and from_flag.token.source == "--ops-token"
    assert from_flag.require_token() == "flag-token"


def test_without_an_ops_token_it_says_where_to_put_one(tmp_path: Path) -> None:
    config = load_ops_config(environ={"OPS_API_TOKEN": ""}, cwd=tmp_path)
    with pytest.raises(ConfigError, match=r"--ops-token.*OPS_API_TOKEN.*make up"):
        config.require_token()


def test_a_service_url_without_a_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the registration URL 'localhost:8004'"):
        load_ops_config(environ={"REGISTRATION_URL": "localhost:8004"}, cwd=tmp_path)
