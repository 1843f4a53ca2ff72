from services.console.app import Settings, create_app
from shared.service import run

run("console", Settings(), create_app)
