"""What every resource handle needs from its client: checked paths, one GET, one paginator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from .._config import ClientConfig
from .._convert import decoder_for
from .._pagination import Paginator
from .._protocol import QueryPairs, QueryValue, build_path, encode_query
from .._transport import Transport
from ..models import JSONValue, Model

M = TypeVar("M", bound=Model)


class Context:
    """The client's transport and settings, as seen by handles (no I/O of its own)."""

    def __init__(self, transport: Transport, config: ClientConfig) -> None:
        self.transport = transport
        self.config = config

    def path(self, template: str, **sids: str) -> str:
        """``template`` filled with SIDs checked per the client's ``validate_sids``."""
        return build_path(template, sids, validate=self.config.validate_sids)

    async def fetch(self, path: str, query: QueryPairs) -> JSONValue:
        """GET ``path`` with an encoded query; the decoded JSON body."""
        return await self.transport.send("GET", path, query)

    async def get(self, path: str, model: type[M], params: Mapping[str, QueryValue] = {}) -> M:
        """GET one object and decode it as ``model``."""
        data = await self.transport.send("GET", path, encode_query(params))
        return decoder_for(model)(data)

    def paginate(
        self, path: str, model: type[M], params: Mapping[str, QueryValue] = {}
    ) -> Paginator[M]:
        """A paginator over a list endpoint; the query is encoded (and checked) now."""
        return Paginator(
            self.fetch,
            path,
            encode_query(params),
            decoder_for(model),
            page_size=self.config.page_size,
        )
