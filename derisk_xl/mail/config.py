"""SMTP settings, read at call time from DERISK_SMTP_* variables or a TOML file — never from the
workbook, which is untrusted and travels between people.

The password is held in a field that no repr, error or log line ever shows; every message this
module builds about the settings names the variable or the file key instead of the value.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping

from ..core.issues import EnvironmentProblem

Security = Literal["none", "starttls", "ssl"]
SECURITIES: tuple[Security, ...] = ("none", "starttls", "ssl")
DEFAULT_PORTS: Mapping[str, int] = {"none": 25, "starttls": 587, "ssl": 465}
DEFAULT_TIMEOUT = 30.0

# TOML key → environment variable. The file's [smtp] table wins; a variable fills a key the
# file leaves out (so a config file can hold everything but the password).
KEYS: Mapping[str, str] = {
    "host": "DERISK_SMTP_HOST",
    "port": "DERISK_SMTP_PORT",
    "security": "DERISK_SMTP_SECURITY",
    "user": "DERISK_SMTP_USER",
    "password": "DERISK_SMTP_PASSWORD",
    "from": "DERISK_SMTP_FROM",
    "cafile": "DERISK_SMTP_CAFILE",
    "timeout": "DERISK_SMTP_TIMEOUT",
}


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send.

    Attributes:
      host: the SMTP server; empty means no SMTP configured (messages stay in the outbox).
      port: default 587 for starttls, 465 for ssl, 25 for none.
      security: ``starttls`` (default), ``ssl`` (implicit TLS) or ``none``.
      user, password: for AUTH; both or neither. The password is never shown.
      sender: the From address (``from`` in TOML, DERISK_SMTP_FROM); defaults to ``user`` when
        that is an address.
      cafile: a PEM file of CA certificates to trust instead of the system's (a private CA).
      timeout: seconds for the connection and each reply.
    """

    host: str = ""
    port: int = 587
    security: Security = "starttls"
    user: str = ""
    password: str = field(default="", repr=False, compare=False)
    sender: str = ""
    cafile: Path | None = None
    timeout: float = DEFAULT_TIMEOUT

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @property
    def loopback(self) -> bool:
        if self.host.lower() in ("localhost", "localhost.localdomain"):
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def describe(self) -> str:
        """For messages: host, port and security, never credentials."""
        who = f" as {self.user}" if self.user else ""
        return f"{self.host}:{self.port} ({self.security}){who}"


def load_config(config_path: Path | None = None, env: Mapping[str, str] | None = None) -> SmtpConfig:
    """Settings from ``config_path``'s ``[smtp]`` table, gaps filled from ``env`` (default
    ``os.environ``). Raises :class:`EnvironmentProblem` naming the file or variable at fault."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    origin: dict[str, str] = {}
    if config_path is not None:
        config_path = Path(config_path)
        try:
            with open(config_path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise EnvironmentProblem(f"mail config {config_path} does not exist") from None
        except OSError as exc:
            raise EnvironmentProblem(f"mail config {config_path} cannot be read: "
                                     f"{exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            # The decoder's message is a position ("at line 3, column 12"), never a value.
            raise EnvironmentProblem(f"mail config {config_path} is not valid TOML: {exc}") from None
        table = data.get("smtp")
        if not isinstance(table, dict):
            raise EnvironmentProblem(f"mail config {config_path} has no [smtp] table")
        unknown = sorted(set(table) - set(KEYS))
        if unknown:
            raise EnvironmentProblem(f"mail config {config_path}: unknown key(s) in [smtp]: "
                                     f"{', '.join(unknown)} (expected {', '.join(KEYS)})")
        for key, value in table.items():
            values[key] = value
            origin[key] = f"{config_path} [smtp] {key}"
    for key, var in KEYS.items():
        if key not in values and env.get(var, "") != "":
            values[key] = env[var]
            origin[key] = var
    return _validate(values, origin)


def _validate(values: Mapping[str, object], origin: Mapping[str, str]) -> SmtpConfig:
    def text(key: str) -> str:
        value = values.get(key, "")
        if not isinstance(value, str):
            raise EnvironmentProblem(f"{origin[key]} must be text")
        if key != "password" and any(ch in value for ch in "\r\n\0"):
            raise EnvironmentProblem(f"{origin[key]} contains a line break")
        return value.strip() if key != "password" else value

    host = text("host")
    security_text = text("security").lower() or None
    if security_text is not None and security_text not in SECURITIES:
        raise EnvironmentProblem(f"{origin['security']} is {security_text!r}; expected one of "
                                 f"{', '.join(SECURITIES)}")
    port: int | None = None
    if "port" in values:
        raw = values["port"]
        try:
            port = int(raw) if not isinstance(raw, bool) else None  # type: ignore[arg-type]
        except (TypeError, ValueError):
            port = None
        if port is None or not 0 < port < 65536:
            raise EnvironmentProblem(f"{origin['port']} must be a port number 1-65535, got {raw!r}")
    if security_text is None:
        security_text = "ssl" if port == 465 else "starttls"
    security: Security = security_text  # type: ignore[assignment]
    if port is None:
        port = DEFAULT_PORTS[security]
    timeout = DEFAULT_TIMEOUT
    if "timeout" in values:
        try:
            timeout = float(values["timeout"])  # type: ignore[arg-type]
        except (TypeError, ValueError):
            timeout = -1.0
        if not timeout > 0:
            raise EnvironmentProblem(f"{origin['timeout']} must be a number of seconds > 0")
    user = text("user")
    password = text("password")
    if bool(user) != bool(password):
        missing = "password" if user else "user"
        raise EnvironmentProblem(
            f"SMTP {missing} missing: set both user and password (DERISK_SMTP_USER and "
            f"DERISK_SMTP_PASSWORD, or user and password in [smtp]) or neither")
    cafile_text = text("cafile")
    cafile = Path(cafile_text).expanduser() if cafile_text else None
    if cafile is not None and not cafile.is_file():
        raise EnvironmentProblem(f"{origin['cafile']} names {cafile}, which is not a file")
    sender = text("from") or (user if "@" in user else "")
    config = SmtpConfig(host=host, port=port, security=security, user=user, password=password,
                        sender=sender, cafile=cafile, timeout=timeout)
    if config.configured and not config.sender:
        raise EnvironmentProblem("no sender address: set DERISK_SMTP_FROM (or from in [smtp])")
    if config.configured and config.user and config.security == "none" and not config.loopback:
        raise EnvironmentProblem(
            f"refusing to send the SMTP password unencrypted to {config.host}: set security to "
            "starttls or ssl (DERISK_SMTP_SECURITY)")
    return config
