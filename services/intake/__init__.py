"""Intake: hubs, products, producers and their deliveries (supply lots after quality control)."""
