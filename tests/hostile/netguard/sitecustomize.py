"""Network guard for the hostile suite's subprocesses (found through PYTHONPATH).

When HOSTILE_NETWORK_LOG names a file, every socket connect or name lookup in this Python
process (and in processes it forks) is written to that file and refused, so a test can see that
a build started with `subprocess` never reached for the network.
"""

import os
import sys

_LOG = os.environ.get("HOSTILE_NETWORK_LOG")
_EVENTS = frozenset({
    "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
    "socket.sendto", "socket.sendmsg", "urllib.Request",
})


def _audit(event: str, args: tuple) -> None:
    if event not in _EVENTS:
        return
    if event == "urllib.Request" and str(args[0]).startswith(("data:", "file:")):
        return  # urllib also opens data: and file: URLs, which are not the network
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"pid {os.getpid()}: {event} {args!r:.300}\n")
    raise PermissionError(f"network access blocked by the hostile test suite ({event})")


if _LOG:
    sys.addaudithook(_audit)
