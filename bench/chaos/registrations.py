"""People registering while the faults happen, as a person (the join form) or a program
(the JSON route) would, each sending the same registration again until it is answered.

Each one opens the link of the email they got: half of them through the HTML form (`GET
/join?token=…`, then `POST /join`), the others through `POST /v1/registrations`. A refused
connection, a reset, a timeout, a 5xx or a 429 is what a fault looks like from outside: the
same form is sent again (the route promises the same account for it) until the person's
deadline. Any other answer ends the person's attempt as a failure.
"""

import asyncio
import random
import time
from dataclasses import dataclass, field

import httpx
from onboarding_devtools.testing.stack import hidden_fields

from bench.chaos.mailbox import Mailbox

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test person's
JOIN_FORM = "POST /join"
JSON_ROUTE = "POST /v1/registrations"
RETRYABLE = {429, 500, 502, 503, 504}
# As patient as a browser: a request given up on early is still worked on by the service,
# and sending it again at once would pile argon2 hashes onto a busy machine.
REQUEST_TIMEOUT = httpx.Timeout(60, connect=5)
FIRST_PAUSE_S = 1.0
MAX_PAUSE_S = 5.0
# The rate limits of the public routes count per client address; every person here comes
# from 127.0.0.1, so the run's registration service is given these instead (as the
# end-to-end tests do).
RATE_LIMITS = {
    "SUBMISSIONS_PER_MINUTE_PER_IP": "100000",
    "SUBMISSIONS_PER_MINUTE_PER_LINK": "100000",
    "PAGE_VIEWS_PER_MINUTE_PER_IP": "100000",
}


@dataclass
class Registration:
    email: str
    username: str
    via: str
    window: int  # the fault it was sent with (index in the run's faults)
    started_ns: int = 0
    finished_ns: int = 0
    tries: int = 0
    registered: bool = False
    problem: str = ""  # why it failed
    answers: list[str] = field(default_factory=list)  # what each try got, in short


@dataclass
class Registrar:
    url: str  # the registration service
    mailbox: Mailbox
    deadline_s: float
    seed: int = 20_000
    people: list[Registration] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _chosen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def launch(self, count: int, window: int) -> None:
        """`count` people start registering now (each as soon as their email is there)."""
        for _ in range(count):
            via = JOIN_FORM if len(self.tasks) % 2 == 0 else JSON_ROUTE
            self.tasks.append(asyncio.create_task(self._one(via, window)))

    @property
    def pending(self) -> int:
        return sum(1 for task in self.tasks if not task.done())

    async def finish(self, timeout_s: float) -> None:
        """Wait for the people still registering, then give up on them."""
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=timeout_s)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for person in self.people:
            if not person.registered and not person.problem:
                person.problem = "still not registered when the run ended"

    def _choose(self) -> str | None:
        available = sorted(set(self.mailbox.copies) - self._chosen)
        if not available:
            return None
        chosen = self._random.choice(available)
        self._chosen.add(chosen)
        return chosen

    async def _one(self, via: str, window: int) -> None:
        deadline = time.monotonic() + self.deadline_s
        chosen = self._choose()
        while chosen is None:  # nobody has been emailed yet
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(0.2)
            chosen = self._choose()
        number = len(self.people) + 1
        person = Registration(chosen, f"chaos-{number:04d}", via, window, time.time_ns())
        self.people.append(person)
        try:
            token = await asyncio.to_thread(self.mailbox.link_token, chosen)
            async with httpx.AsyncClient(base_url=self.url, timeout=REQUEST_TIMEOUT) as http:
                await self._register(http, person, token, deadline)
        except Exception as error:
            person.problem = f"{type(error).__name__}: {error}"
        finally:
            person.finished_ns = time.time_ns()

    async def _register(
        self, http: httpx.AsyncClient, person: Registration, token: str, deadline: float
    ) -> None:
        form = {
            "token": token,
            "first_name": "Chaos",
            "last_name": f"Person {person.username}",
            "username": person.username,
            "password": PASSWORD,
        }
        opened = person.via == JSON_ROUTE  # a program does not look at the page first
        pause = FIRST_PAUSE_S
        while True:
            person.tries += 1
            try:
                if not opened:
                    response = await http.get("/join", params={"token": token})
                elif person.via == JOIN_FORM:
                    response = await http.post("/join", data=form)
                else:
                    response = await http.post("/v1/registrations", json=form)
                status = response.status_code
                person.answers.append(f"{response.request.method} {status}")
                if not opened and status == 200:
                    opened = True
                    # The form's hidden fields (the CSRF token with the link's) go back
                    # with the person's answers, as a browser sends them.
                    form |= hidden_fields(response.text)
                    continue
                if status == 201:
                    person.registered = True
                    return
                if status not in RETRYABLE:
                    person.problem = f"{response.request.url.path}: {status} {response.text[:300]}"
                    return
                wait = _retry_after(response, pause)
            except httpx.TransportError as error:
                person.answers.append(type(error).__name__)
                wait = pause
            if time.monotonic() + wait > deadline:
                person.problem = f"not registered within its deadline ({person.answers[-1]})"
                return
            await asyncio.sleep(wait)
            pause = min(MAX_PAUSE_S, pause * 1.5)


def _retry_after(response: httpx.Response, default: float) -> float:
    try:
        return min(MAX_PAUSE_S, float(response.headers.get("retry-after", default)))
    except ValueError:
        return default
