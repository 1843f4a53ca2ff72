"""Orders: buyers' pre-orders as buyers and partners see them, with idempotent placement."""
