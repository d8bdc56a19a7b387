"""User-facing errors. Each renders as one line; the CLI prints it and exits with code 2."""

from __future__ import annotations

from pathlib import Path


class XstiltsError(Exception):
    """Base class: an error caused by the user's input, not by a bug."""

    exit_code = 2


class DataError(XstiltsError):
    """A data file is malformed. Names the file and (when known) the 1-based line."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ConfigError(XstiltsError):
    """A config value is wrong. Names the dotted key (and the file when known)."""

    def __init__(self, key: str, message: str, source: str | None = None, line: int | None = None):
        self.key = key
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}:{line}" if source and line is not None else source
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}config key '{key}': {message}")


class StoreBusyError(XstiltsError):
    """Another process is writing the results store (one writer per store)."""

    def __init__(self, path: str | Path, holder: int | None):
        self.path = str(path)
        self.holder = holder
        who = f"pid {holder}" if holder is not None else "another process"
        super().__init__(f"{self.path}: results store is being written by {who} (one writer per store); "
                         "wait for it to finish or use another store")
