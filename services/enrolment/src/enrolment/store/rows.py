"""What every store shares: the connection of the transaction it works in."""

import asyncpg


class Rows:
    """The queries of one aggregate, on the connection of an open transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
