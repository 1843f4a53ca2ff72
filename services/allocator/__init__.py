"""Allocator: stock per (hub, product), the pre-order queue, and who gets which units."""
