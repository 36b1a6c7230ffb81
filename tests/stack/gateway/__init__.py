"""A Supabase-compatible HTTP gateway for tests: Auth, the PostgREST subset and Storage on a
real PostgreSQL, where every data request runs as the caller so that RLS decides.

Public API: :class:`Gateway`, :class:`GatewayConfig`, :data:`ANON_KEY`,
:data:`SERVICE_ROLE_KEY`, :data:`JWT_SECRET` (see ``server.py`` and ``faults.py``).
"""

from .keys import ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY
from .server import Gateway, GatewayConfig

__all__ = ["ANON_KEY", "JWT_SECRET", "SERVICE_ROLE_KEY", "Gateway", "GatewayConfig"]
