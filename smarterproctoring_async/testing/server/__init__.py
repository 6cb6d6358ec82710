"""The HTTP side of the fake: the server, its route table, faults and request log.

``app`` (FakeAPI: lifecycle, knobs, the request pipeline), ``routing`` (the Swagger
route table and validation), ``faults`` (Fault and the one table of fault kinds),
``log`` (RequestRecord and the bounded RequestLog), ``paging`` (the envelope),
``changes`` (timed changes and records inserted while paging), ``responses`` (raw
JSON and error answers).
"""

from .app import FakeAPI, FakeLoopError
from .faults import Fault
from .log import RequestLog, RequestRecord

__all__ = ["FakeAPI", "FakeLoopError", "Fault", "RequestLog", "RequestRecord"]
