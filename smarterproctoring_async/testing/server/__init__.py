"""The HTTP side of the fake: the server, its route table, faults and request log.

``app`` (FakeAPI: lifecycle, knobs, the request pipeline), ``routing`` (the Swagger
route table and validation), ``errors`` (the error answers in the framework or the named
style), ``tokens`` (the token's expiry, revocation, scope and claims) and
``token_knobs`` (FakeAPI's knobs over it), ``faults`` (Fault and the one table of fault
kinds), ``log`` (RequestRecord and the bounded RequestLog), ``paging`` (the envelope)
and ``grouping`` (results keyed by date), ``changes`` (timed changes and records inserted
while paging), ``throttle`` (the server-side rate limit), ``loops`` (the one-loop check),
``responses`` (raw JSON answers).
"""

from .app import FakeAPI, FakeLoopError
from .faults import Fault
from .log import RequestLog, RequestRecord

__all__ = ["FakeAPI", "FakeLoopError", "Fault", "RequestLog", "RequestRecord"]
