from services.notifier.app import Settings, create_app
from shared.service import run

run("notifier", Settings(), create_app)
