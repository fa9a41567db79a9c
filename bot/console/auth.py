"""Sessions in signed cookies, CSRF tokens and the log-in rate limit. No I/O."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Callable, Deque, Dict, List, Optional, Sequence, Union

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "console_session"
SESSION_SECONDS = 8 * 3600  # a working day; then log in again


@dataclass
class Session:
    csrf: str
    user: Optional[str] = None
    issued: float = 0.0


class Sessions:
    """Sign and read session cookies (itsdangerous, HMAC-SHA1 over the JSON payload + time)."""

    def __init__(self, secret: str, max_age: int = SESSION_SECONDS) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="bot.console.session")
        self.max_age = max_age

    def new(self, user: Optional[str] = None) -> Session:
        return Session(csrf=secrets.token_urlsafe(32), user=user, issued=time.time())

    def dump(self, session: Session) -> str:
        return self.serializer.dumps({"c": session.csrf, "u": session.user, "i": session.issued})

    def load(self, cookie: Optional[str]) -> Optional[Session]:
        if not cookie:
            return None
        try:
            data = self.serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        user = data.get("u")
        return Session(
            csrf=data["c"],
            user=user if isinstance(user, str) else None,
            issued=float(data.get("i") or 0),
        )


def csrf_ok(session: Optional[Session], token: object) -> bool:
    if session is None or not isinstance(token, str) or not token:
        return False
    return hmac.compare_digest(session.csrf.encode(), token.encode())


Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def parse_networks(text: str) -> List[Network]:
    """``TRUSTED_PROXIES``: comma-separated addresses or CIDRs (``127.0.0.1, 10.0.0.0/8``)."""
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    ]


def _address(text: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(text: str, trusted: Sequence[Network]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in trusted)


def client_address(
    remote: Optional[str], forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> str:
    """The client's address. ``X-Forwarded-For`` is believed only when the connection comes
    from a trusted proxy, and only up to the first hop that is not one (read right to left:
    a client can put anything at the left of the header, never at the right)."""
    remote = remote or "unknown"
    if not trusted or not _trusted(remote, trusted):
        return remote
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if _address(hop) is None:
            return remote  # a malformed hop: trust nothing beyond the proxy
        if not _trusted(hop, trusted):
            return str(_address(hop))
    return str(_address(hops[0])) if hops else remote


@dataclass
class RateLimit:
    """At most ``limit`` failed log-ins per key in ``window`` seconds (sliding window)."""

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    _failures: Dict[str, Deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _prune(self, key: str) -> Deque[float]:
        failures = self._failures[key]
        cutoff = self.clock() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return deque()
        return failures

    def blocked(self, key: str) -> bool:
        return len(self._prune(key)) >= self.limit

    def fail(self, key: str) -> None:
        self._prune(key)
        self._failures[key].append(self.clock())

    def take_back(self, key: str) -> None:
        """Forget the latest attempt (it turned out to be a right password)."""
        failures = self._failures.get(key)
        if failures:
            failures.pop()
            if not failures:
                del self._failures[key]

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)


BLOCKED = "blocked"  # the attempt is refused unchecked: the limit is reached
LOCKED_NOW = "locked_now"  # this attempt reaches the limit: checked, and a lockout begins
ALLOWED = "allowed"


@dataclass
class LoginLimits:
    """Log-in attempts are limited per address and per account name.

    An attempt is counted *before* its password is checked (``attempt``, no I/O, so no other
    request runs in between on the event loop): however many tries for one name arrive at
    once, at most ``per_user.limit`` passwords are checked in a window. A right password
    takes its attempt back and clears the name's count. A lockout ends by itself once the
    oldest attempt is ``window`` seconds old.
    """

    per_ip: RateLimit = field(default_factory=lambda: RateLimit(20, 900))
    per_user: RateLimit = field(default_factory=lambda: RateLimit(5, 900))

    def blocked(self, ip: str, username: str) -> bool:
        return self.per_ip.blocked(ip) or self.per_user.blocked(username.lower())

    def attempt(self, ip: str, username: str) -> str:
        """Count one attempt: ``BLOCKED`` (do not check it), ``LOCKED_NOW`` or ``ALLOWED``."""
        if self.blocked(ip, username):
            return BLOCKED
        self.per_ip.fail(ip)
        self.per_user.fail(username.lower())
        return LOCKED_NOW if self.blocked(ip, username) else ALLOWED

    def fail(self, ip: str, username: str) -> None:
        self.per_ip.fail(ip)
        self.per_user.fail(username.lower())

    def succeed(self, ip: str, username: str) -> None:
        self.per_ip.take_back(ip)
        self.per_user.reset(username.lower())
