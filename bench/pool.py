"""The coordinator's side of the worker processes: start them, send commands, gather answers."""

from __future__ import annotations

import contextlib
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from worker import worker_main


class WorkerError(Exception):
    """A worker answered a command with an error."""


class WorkerPool:
    """``size`` worker processes driving one server at ``host:port``."""

    def __init__(self, size: int, host: str, port: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.size = size
        self._conns: list[Connection] = []
        self._processes: list[BaseProcess] = []
        for _ in range(size):
            ours, theirs = context.Pipe()
            process = context.Process(target=worker_main, args=(theirs, host, port), daemon=True)
            process.start()
            self._conns.append(ours)
            self._processes.append(process)

    def each(self, name: str, arguments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send worker ``i`` ``arguments[i]`` (all at once), then gather every answer."""
        targets = list(zip(self._conns, arguments, strict=False))
        for conn, args in targets:
            conn.send((name, args))
        answers: list[dict[str, Any]] = [conn.recv() for conn, _args in targets]
        errors = [answer["error"] for answer in answers if "error" in answer]
        if errors:
            raise WorkerError(f"{name}: {errors[0]}")
        return answers

    def all(self, name: str, **arguments: Any) -> list[dict[str, Any]]:
        """The same command to every worker."""
        return self.each(name, [arguments] * self.size)

    def client_pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None]

    def close(self) -> None:
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.send(("exit", {}))
        for process in self._processes:
            process.join(timeout=15)
            if process.is_alive():
                process.terminate()
                process.join()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()


def split(items: list[Any], parts: int) -> list[list[Any]]:
    """``items`` dealt round-robin into ``parts`` lists."""
    return [items[index::parts] for index in range(parts)]
