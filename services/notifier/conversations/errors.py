"""What the orders service's refusal is to a conversation (`OrdersApi` raises it)."""

from typing import Any


class OrdersError(Exception):
    """The orders service refused (`status` and its problem), or could not be reached (503)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"orders answered {status}: {problem.get('title')}")
        self.status = status
        self.problem = problem

    @property
    def why(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or self.status)

    @property
    def fields_why(self) -> str:
        """What the problem says of each field it names, else `why`."""
        said = [str(e.get("message")) for e in self.problem.get("errors") or [] if e.get("message")]
        return "; ".join(said) or self.why
