"""Long-running loops a service runs beside its subscribers (the notification service's
sender, say): started once the runtime is up, asked to stop before anything they use is
closed, so that work in flight can be finished and recorded."""

from typing import Protocol


class Worker(Protocol):
    name: str

    async def run(self) -> None:
        """Work until `stop` is called; then return once what is in flight is done."""
        ...

    async def stop(self) -> None:
        """Ask `run` to finish (it is awaited after, for a bounded time)."""
        ...
