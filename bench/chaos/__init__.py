"""`make chaos`: faults injected while an import flows through the platform, and what they
cost (or `python -m bench.chaos --help`).

The run starts a PostgreSQL and a Kafka broker of its own (through `deploy/local/*.sh`, on
free ports, under a run directory of its own), the SMTP sink and the four services; imports
N people; and while their invitations flow, kills each service with SIGKILL (restarted on the
same ports and databases after a short pause), kills the broker with SIGKILL (restarted) and
restarts PostgreSQL in immediate mode. It registers a sample of the people through the real
registration routes meanwhile, waits until the flow drains, and reports what was lost,
duplicated and left in an unexpected state. Everything it started is stopped and deleted on
the way out; the report and the logs are kept under `.run/chaos/<time>/`.
"""
