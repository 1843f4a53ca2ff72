"""What a hub sells, and what producers bring: a product listed, a delivery after quality
control whose accepted units become a lot."""

import uuid

from services.intake.handlers import UnitOfWork
from services.intake.handlers.hubs import require_hub
from services.intake.handlers.problems import PRODUCER, PRODUCT, product_taken
from services.intake.models import NewDelivery, NewProduct
from services.intake.records import Delivery, Product
from shared.events import Envelope, ProductListed, SupplyReceived
from shared.problems import unknown_reference


async def list_product(uow: UnitOfWork, new: NewProduct, correlation_id: str) -> Product:
    await require_hub(uow, new.hub)
    if await uow.products.exists(new.hub, new.sku):
        raise product_taken(new.sku)
    product = Product(
        id=uuid.uuid4(),
        hub=new.hub,
        sku=new.sku,
        name=new.name,
        unit_price=new.unit_price,
        listed_at=uow.now(),
    )
    uow.products.add(product)
    event = ProductListed(
        product_id=product.id, sku=product.sku, name=product.name, unit_price=product.unit_price
    )
    uow.publish(Envelope.wrap(event, hub=new.hub, correlation_id=correlation_id))
    return product


async def record_delivery(uow: UnitOfWork, new: NewDelivery, correlation_id: str) -> Delivery:
    """A delivery of the hub's own producer, of a product listed there. Its rejected units
    are counted with it; only the accepted ones can be allocated."""
    await require_hub(uow, new.hub)
    producer = await uow.producers.get(new.producer_id)
    if producer is None or producer.hub != new.hub:
        raise unknown_reference("producer_id", PRODUCER, new.producer_id)
    if not await uow.products.exists(new.hub, new.sku):
        raise unknown_reference("sku", PRODUCT, new.sku)
    delivery = Delivery(
        id=uuid.uuid4(),
        hub=new.hub,
        producer_id=new.producer_id,
        sku=new.sku,
        quantity=new.quantity,
        rejected=new.rejected,
        accepted=new.quantity - new.rejected,
        sold=0,
        received_at=uow.now(),
    )
    uow.deliveries.add(delivery)
    event = SupplyReceived(
        delivery_id=delivery.id,
        producer_id=delivery.producer_id,
        sku=delivery.sku,
        quantity=delivery.quantity,
        rejected=delivery.rejected,
        accepted=delivery.accepted,
        received_at=delivery.received_at,
    )
    uow.publish(Envelope.wrap(event, hub=new.hub, correlation_id=correlation_id))
    return delivery
