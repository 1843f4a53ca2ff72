"""Notifier: tells producers and buyers what happened to their goods and orders."""
