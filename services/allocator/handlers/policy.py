"""An operator sets a product's policy."""

from services.allocator.handlers.filling import Emit, refill
from services.allocator.rules.policies import PolicyRules
from services.allocator.store import Work


async def set_policy(uow: Work, hub: str, sku: str, rules: PolicyRules, emit: Emit) -> None:
    """A new version of the product's policy, in force at once: stock waiting for orders it
    now makes eligible is given out under it; units already allocated stay where they are."""
    await uow.lock([(hub, sku)])
    await uow.add_policy(hub, sku, rules)
    await refill(uow, hub, sku, emit)
