"""``.leakfix.toml``: found upward from the checked path, merged under the command line."""

from __future__ import annotations

import glob
import re
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from codemods.options import LeakfixError, Options

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_NAME = ".leakfix.toml"
LIST_KEYS = ("select", "ignore", "exclude")
KNOWN_KEYS = frozenset({*LIST_KEYS, "timeout", "timeout-scope", "unsafe-fixes", "max-file-size"})
TIMEOUT_SCOPES = ("serving", "all")
MAX_DURATION_NS = 2**63 - 1  # Go's time.Duration is an int64 count of nanoseconds
SIZE = re.compile(r"(?i)^\s*(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$")
SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
}

# Go's time.ParseDuration units, in nanoseconds, largest first.
UNITS: dict[str, int] = {
    "h": 3_600_000_000_000,
    "m": 60_000_000_000,
    "s": 1_000_000_000,
    "ms": 1_000_000,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek mu
    "ns": 1,
}
GO_UNITS = (
    ("time.Hour", UNITS["h"]),
    ("time.Minute", UNITS["m"]),
    ("time.Second", UNITS["s"]),
    ("time.Millisecond", UNITS["ms"]),
    ("time.Microsecond", UNITS["us"]),
    ("time.Nanosecond", UNITS["ns"]),
)
_UNIT = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
DURATION = re.compile(rf"\+?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:{_UNIT}))+")
DURATION_PART = re.compile(rf"(\d+(?:\.\d*)?|\.\d+)({_UNIT})")


def parse_duration(duration: str) -> int:
    """Nanoseconds in a positive Go duration ("1m30s"); LeakfixError when it is not one."""
    if not isinstance(duration, str) or not DURATION.fullmatch(duration):
        raise LeakfixError(f"invalid timeout {duration!r}: expected a Go duration like 5s or 1m30s")
    total = sum(Fraction(number) * UNITS[unit] for number, unit in DURATION_PART.findall(duration))
    if total <= 0 or total.denominator != 1:
        raise LeakfixError(f"invalid timeout {duration!r}: must be a positive whole number of ns")
    if total > MAX_DURATION_NS:
        raise LeakfixError(
            f"invalid timeout {duration!r}: longer than Go's time.Duration can hold "
            "(about 2562047h)"
        )
    return int(total)


def parse_size(value: object, where: str = "max-file-size") -> int:
    """Bytes in a size: a whole number of bytes, or "4MiB", "500KB"; 0 means no limit."""
    if isinstance(value, bool):
        raise LeakfixError(f"invalid {where} {value!r}: expected bytes or a size like 4MiB")
    if isinstance(value, int):
        if value < 0:
            raise LeakfixError(f"invalid {where} {value!r}: must not be negative")
        return value
    match = SIZE.match(value) if isinstance(value, str) else None
    if match is None:
        raise LeakfixError(f"invalid {where} {value!r}: expected bytes or a size like 4MiB")
    return int(match.group(1)) * SIZE_UNITS[(match.group(2) or "").lower()]


def go_duration_expr(duration: str) -> str:
    """Go code for a duration: "5s" -> ``5*time.Second``, "1h" -> ``time.Hour``.

    Uses the largest unit that divides the duration exactly, so the code reads as written.
    """
    nanoseconds = parse_duration(duration)
    for name, size in GO_UNITS:
        count, remainder = divmod(nanoseconds, size)
        if remainder == 0:
            return name if count == 1 else f"{count}*{name}"
    raise AssertionError("time.Nanosecond divides every duration")


def find_config(start: Path) -> Path | None:
    """The nearest ``.leakfix.toml`` in ``start`` (a folder, or a file's folder) or above."""
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        config = candidate / CONFIG_NAME
        if config.is_file():
            return config
    return None


MAX_CONFIG_BYTES = 1 << 20  # a config file is a few lines; anything bigger is a mistake


def read_config(path: Path) -> dict[str, Any]:
    """The file's settings, checked: every problem (unreadable, not UTF-8, not TOML, nested
    too deep, unknown keys, wrong types) is one LeakfixError naming the file."""
    try:
        from codemods.files import Skip, read_file

        raw, _ = read_file(path, MAX_CONFIG_BYTES)
    except Skip as skip:
        raise LeakfixError(f"cannot read {path}: {skip}") from skip
    except OSError as error:
        raise LeakfixError(f"cannot read {path}: {error.strerror or error}") from error
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise LeakfixError(f"invalid TOML in {path}: not UTF-8 (byte {error.start + 1})") from error
    except tomllib.TOMLDecodeError as error:
        raise LeakfixError(f"invalid TOML in {path}: {error}") from error
    except RecursionError as error:
        raise LeakfixError(f"invalid TOML in {path}: nested too deeply") from error
    for key, value in data.items():
        _check_value(path, key, value)
    return data


def _check_value(path: Path, key: str, value: object) -> None:
    if key not in KNOWN_KEYS:
        raise LeakfixError(
            f"unknown key {key!r} in {path} (known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    if key in LIST_KEYS:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise LeakfixError(f"{key!r} in {path} must be a list of strings")
    elif key == "timeout":
        if not isinstance(value, str):
            raise LeakfixError(f"'timeout' in {path} must be a string like \"5s\"")
        try:
            parse_duration(value)
        except LeakfixError as error:
            raise LeakfixError(f"{error} in {path}") from error
    elif key == "timeout-scope" and value not in TIMEOUT_SCOPES:
        raise LeakfixError(f'\'timeout-scope\' in {path} must be "serving" or "all"')
    elif key == "unsafe-fixes" and not isinstance(value, bool):
        raise LeakfixError(f"'unsafe-fixes' in {path} must be true or false")
    elif key == "max-file-size":
        try:
            parse_size(value)
        except LeakfixError as error:
            raise LeakfixError(f"{error} in {path}") from error


def load_options(
    start: Path,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    exclude: Sequence[str] = (),
    timeout: str | None = None,
    unsafe_fixes: bool | None = None,
    include_generated: bool = False,
    max_file_size: str | None = None,
    timeout_scope: str | None = None,
) -> tuple[Options, Path | None]:
    """Options from the command line over the nearest config file; also returns that file.

    ``--select`` replaces the file's list (and wins over the file's ``ignore``); ``--ignore``
    and ``--exclude`` add to it. Only a timeout written in the file counts as configured.
    """
    path = find_config(start)
    config = read_config(path) if path else {}
    if timeout is not None:
        parse_duration(timeout)
    if timeout_scope is not None and timeout_scope not in TIMEOUT_SCOPES:
        raise LeakfixError(f"invalid --timeout-scope {timeout_scope!r}: expected serving or all")
    chosen = tuple(select) or tuple(config.get("select", ()))
    ignored = [rule for rule in config.get("ignore", ()) if rule not in select]
    options = Options(
        select=chosen,
        ignore=_unique([*ignored, *ignore]),
        exclude=_unique([*_anchor(config.get("exclude", ()), path), *exclude]),
        timeout=timeout or config.get("timeout", Options.timeout),
        timeout_configured=timeout is None and "timeout" in config,
        timeout_scope=timeout_scope or config.get("timeout-scope", Options.timeout_scope),
        unsafe_fixes=config.get("unsafe-fixes", False) if unsafe_fixes is None else unsafe_fixes,
        include_generated=include_generated,
        max_file_size=_max_file_size(max_file_size, config),
    )
    return options, path


def _max_file_size(flag: str | None, config: dict[str, Any]) -> int:
    if flag is not None:
        return parse_size(flag.strip(), "--max-file-size")
    if "max-file-size" in config:
        return parse_size(config["max-file-size"])
    return Options.max_file_size


def _anchor(patterns: Sequence[str], config: Path | None) -> list[str]:
    """Make the file's patterns with a ``/`` relative to the file's folder, not the cwd."""
    if config is None:
        return list(patterns)
    folder = glob.escape(config.parent.as_posix())
    anchored = []
    for pattern in patterns:
        bare = pattern.removeprefix("./").rstrip("/")
        anchored.append(f"{folder}/{bare.lstrip('/')}" if "/" in bare else bare)
    return anchored


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
