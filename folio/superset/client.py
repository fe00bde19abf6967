"""A small client of Superset's REST API (tests, the benchmark, `folio up`'s checks).

Reads go with the Bearer token of ``/api/v1/security/login``; writes also need the CSRF token
and the session cookie it belongs to (STACK_NOTES), which :meth:`post` sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class Client:
    url: str
    username: str
    password: str
    session: requests.Session = field(default_factory=requests.Session)
    token: str = ""

    def login(self) -> Client:
        resp = self.session.post(
            f"{self.url}/api/v1/security/login",
            json={
                "username": self.username,
                "password": self.password,
                "provider": "db",
                "refresh": False,
            },
            timeout=30,
        )
        resp.raise_for_status()
        self.token = resp.json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {self.token}"
        csrf = self.session.get(f"{self.url}/api/v1/security/csrf_token/", timeout=30)
        csrf.raise_for_status()
        self.session.headers["X-CSRFToken"] = csrf.json()["result"]
        self.session.headers["Referer"] = self.url
        return self

    def get(self, path: str, **params: Any) -> requests.Response:
        if "q" in params and not isinstance(params["q"], str):
            params["q"] = _rison(params["q"])
        return self.session.get(f"{self.url}{path}", params=params, timeout=120)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(f"{self.url}{path}", json=body, timeout=120)

    def charts(self) -> list[dict[str, Any]]:
        resp = self.get(
            "/api/v1/chart/",
            q={"columns": ["id", "slice_name", "viz_type", "uuid"], "page_size": 100},
        )
        resp.raise_for_status()
        return resp.json()["result"]

    def dashboards(self) -> list[dict[str, Any]]:
        resp = self.get(
            "/api/v1/dashboard/",
            q={"columns": ["id", "dashboard_title", "slug", "uuid"], "page_size": 100},
        )
        resp.raise_for_status()
        return resp.json()["result"]

    def chart_data(self, chart_id: int) -> requests.Response:
        """The chart's saved query (its ``query_context``) run by Superset, as JSON."""
        return self.get(f"/api/v1/chart/{chart_id}/data/", format="json", type="full")

    def sql(self, database_id: int, query: str, schema: str = "marts") -> requests.Response:
        return self.post(
            "/api/v1/sqllab/execute/",
            {
                "database_id": database_id,
                "sql": query,
                "schema": schema,
                "runAsync": False,
                "queryLimit": 1000,
            },
        )


def _rison(value: Any) -> str:
    """Rison for the small dicts the list endpoints take (strings, ints, lists)."""
    if isinstance(value, dict):
        return "(" + ",".join(f"{k}:{_rison(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list):
        return "!(" + ",".join(_rison(v) for v in value) + ")"
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if isinstance(value, int | float):
        return json.dumps(value)
    return "'" + str(value).replace("!", "!!").replace("'", "!'") + "'"
