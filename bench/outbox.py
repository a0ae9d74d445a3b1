"""Looking into a service's outbox while a case runs: how much waits, and how the relay's
claim query is planned (which decides whether draining is linear or quadratic)."""

import asyncpg
from onboarding_kit import outbox


async def outbox_waiting(conn: asyncpg.Connection) -> int:
    """About how many rows are waiting (ids are sequential and the relay takes them in order;
    two index lookups instead of counting a large table)."""
    low, high = await conn.fetchrow("SELECT min(id), max(id) FROM outbox")
    return 0 if low is None else int(high) - int(low) + 1


async def claim_plan(conn: asyncpg.Connection, batch_size: int = 500) -> str:
    """How PostgreSQL would run the relay's claim query now, in a few words.

    The claim skips a row while an earlier row with the same key waits. Planned with the
    (key, id) index, that check is one lookup per row. When the table's statistics say it is
    empty (analysed while drained, its pages not yet truncated) the planner may walk the
    primary key over every earlier row instead, filtering on the key: each batch then costs
    as much as the rows before it, and draining a large backlog is quadratic. The relay runs
    the claim as a prepared statement, which PostgreSQL plans generically after a few
    executions, so both the custom and the generic plan are shown."""
    claim = getattr(outbox, "_CLAIM", None)
    if not isinstance(claim, str):
        return "unknown (the kit's claim query moved)"
    stats = await conn.fetchrow("SELECT relpages, reltuples FROM pg_class WHERE relname = 'outbox'")
    verdicts = []
    for mode in ("force_custom_plan", "force_generic_plan"):
        async with conn.transaction():
            await conn.execute(f"SET LOCAL plan_cache_mode = {mode}")
            lines = [r[0] for r in await conn.fetch(f"EXPLAIN {claim}", batch_size)]
        verdicts.append(f"{mode.split('_')[1]} plan {_verdict(lines)}")
    return (
        f"{'; '.join(verdicts)} (pg_class: {stats['relpages']} pages, "
        f"{stats['reltuples']:.0f} tuples)"
    )


def _verdict(lines: list[str]) -> str:
    plan = "\n".join(lines)
    if "Filter: (key = o.key)" in plan or "Filter: (o.key = e.key)" in plan:
        return "QUADRATIC (earlier rows scanned by id, filtered by key)"
    if "outbox_key_id" in plan:
        return "linear ((key, id) index lookup per row)"
    return "other: " + " / ".join(line.strip() for line in lines[:3])
