from services.intake.app import Settings, create_app
from shared.service import run

run("intake", Settings(), create_app)
