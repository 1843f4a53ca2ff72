from services.allocator.app import Settings, create_app
from shared.service import run

run("allocator", Settings(), create_app)
