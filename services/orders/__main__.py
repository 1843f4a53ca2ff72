from services.orders.app import Settings, create_app
from shared.service import run

run("orders", Settings(), create_app)
