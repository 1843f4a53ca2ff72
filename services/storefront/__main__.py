from services.storefront.app import Settings, create_app
from shared.service import run

run("storefront", Settings(), create_app)
