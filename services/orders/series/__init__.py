"""Standing orders (issue 21): a series of orders placed for a partner or the counter, N units
every day, week or month, each occurrence an ordinary order carrying the series' id.

Not to be confused with services/orders/standing.py, which is where an order stands in the queue.
"""
