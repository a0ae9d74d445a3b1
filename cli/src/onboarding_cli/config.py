"""Where the CLI finds the service URL and the tenant API key.

In increasing precedence: a `.run/env` file (KEY=value lines, as `make up` writes it) in the
current directory or the nearest parent that has one; the environment variables
`ENROLMENT_URL` and `ONBOARDING_API_KEY`; the `--url` and `--api-key` flags.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_FILE = Path(".run") / "env"
URL_VAR = "ENROLMENT_URL"
API_KEY_VAR = "ONBOARDING_API_KEY"
DEFAULT_URL = "http://127.0.0.1:8001"


class ConfigError(Exception):
    """The CLI cannot be configured as asked; the message says how to fix it."""


@dataclass(frozen=True)
class Setting:
    value: str
    source: str  # where the value came from, in words a person can act on


@dataclass(frozen=True)
class Config:
    url: Setting
    api_key: Setting | None
    env_file: Path | None

    def require_api_key(self) -> str:
        if self.api_key is None:
            raise ConfigError(
                f"no API key: pass --api-key, set {API_KEY_VAR}, or run `make up` "
                f"(it writes {ENV_FILE} with the demo tenant's key)"
            )
        return self.api_key.value


def find_env_file(start: Path) -> Path | None:
    """The `.run/env` in `start` or the nearest of its parents that has one."""
    for directory in (start, *start.parents):
        candidate = directory / ENV_FILE
        if candidate.is_file():
            return candidate
    return None


def parse_env_file(text: str) -> dict[str, str]:
    """KEY=value lines; blank lines, `#` comments and a leading `export ` are ignored, and
    one pair of surrounding quotes is removed from a value."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _pick(
    name: str,
    flag: str | None,
    flag_name: str,
    environ: Mapping[str, str],
    file_values: Mapping[str, str],
    env_file: Path | None,
) -> Setting | None:
    if flag:
        return Setting(flag, flag_name)
    if environ.get(name):
        return Setting(environ[name], f"${name}")
    if file_values.get(name) and env_file is not None:
        return Setting(file_values[name], f"{name} in {env_file}")
    return None


def load_config(
    *,
    url: str | None = None,
    api_key: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Resolve the settings: flags over environment variables over `.run/env`."""
    environ = os.environ if environ is None else environ
    env_file = find_env_file((cwd or Path.cwd()).resolve())
    file_values: dict[str, str] = {}
    if env_file is not None:
        try:
            file_values = parse_env_file(env_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read {env_file}: {error}") from error
    url_setting = _pick(URL_VAR, url, "--url", environ, file_values, env_file) or Setting(
        DEFAULT_URL, "the default"
    )
    if not url_setting.value.startswith(("http://", "https://")):
        raise ConfigError(
            f"the enrolment URL {url_setting.value!r} (from {url_setting.source}) must start "
            "with http:// or https://"
        )
    url_setting = Setting(url_setting.value.rstrip("/"), url_setting.source)
    key_setting = _pick(API_KEY_VAR, api_key, "--api-key", environ, file_values, env_file)
    return Config(url=url_setting, api_key=key_setting, env_file=env_file)
