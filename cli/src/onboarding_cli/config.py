"""Where the CLI finds the service URLs, the tenant API key and the operations token.

In increasing precedence: a `.run/env` file (KEY=value lines, as `make up` writes it) in the
current directory or the nearest parent that has one; the environment variables
`ENROLMENT_URL` and `ONBOARDING_API_KEY`; the `--url` and `--api-key` flags. `onboard dlq`
reads the four services' URLs (`ENROLMENT_URL`, `INVITATION_URL`, `NOTIFICATION_URL`,
`REGISTRATION_URL`) and `OPS_API_TOKEN` the same way, the token also from `--ops-token`.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_FILE = Path(".run") / "env"
URL_VAR = "ENROLMENT_URL"
API_KEY_VAR = "ONBOARDING_API_KEY"
DEFAULT_URL = "http://127.0.0.1:8001"
OPS_TOKEN_VAR = "OPS_API_TOKEN"  # noqa: S105 (a variable's name)
# Every service answers the operations API (its own consumer's dead letters); `make up`
# starts them on these ports.
SERVICE_PORTS = {"enrolment": 8001, "invitation": 8002, "notification": 8003, "registration": 8004}
SERVICES = tuple(SERVICE_PORTS)


def url_var(service: str) -> str:
    """The variable that holds a service's URL: `NOTIFICATION_URL`, and so on."""
    return f"{service.upper()}_URL"


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
    env_file, file_values = _read_env_file(cwd)
    url_setting = _pick(URL_VAR, url, "--url", environ, file_values, env_file) or Setting(
        DEFAULT_URL, "the default"
    )
    key_setting = _pick(API_KEY_VAR, api_key, "--api-key", environ, file_values, env_file)
    return Config(
        url=_checked_url("enrolment", url_setting), api_key=key_setting, env_file=env_file
    )


def _read_env_file(cwd: Path | None) -> tuple[Path | None, dict[str, str]]:
    env_file = find_env_file((cwd or Path.cwd()).resolve())
    if env_file is None:
        return None, {}
    try:
        return env_file, parse_env_file(env_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {env_file}: {error}") from error


def _checked_url(service: str, setting: Setting) -> Setting:
    if not setting.value.startswith(("http://", "https://")):
        raise ConfigError(
            f"the {service} URL {setting.value!r} (from {setting.source}) must start "
            "with http:// or https://"
        )
    return Setting(setting.value.rstrip("/"), setting.source)


@dataclass(frozen=True)
class OpsConfig:
    """What `onboard dlq` needs: every service's URL and the operations token."""

    urls: Mapping[str, Setting]  # by service, in `SERVICES` order
    token: Setting | None
    env_file: Path | None

    def require_token(self) -> str:
        if self.token is None:
            raise ConfigError(
                f"no operations token: pass --ops-token, set {OPS_TOKEN_VAR}, or run `make up` "
                f"(it writes {ENV_FILE} with the token every service was started with)"
            )
        return self.token.value


def load_ops_config(
    *,
    ops_token: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> OpsConfig:
    """Resolve the services' URLs (environment over `.run/env`, else the ports `make up`
    uses) and the operations token (`--ops-token` over the environment over `.run/env`)."""
    environ = os.environ if environ is None else environ
    env_file, file_values = _read_env_file(cwd)
    urls = {}
    for service, port in SERVICE_PORTS.items():
        found = _pick(url_var(service), None, "", environ, file_values, env_file)
        default = Setting(f"http://127.0.0.1:{port}", "the default")
        urls[service] = _checked_url(service, found or default)
    token = _pick(OPS_TOKEN_VAR, ops_token, "--ops-token", environ, file_values, env_file)
    return OpsConfig(urls=urls, token=token, env_file=env_file)
