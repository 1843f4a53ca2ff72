"""Every SQL statement of the orders service, a module per kind of row, and the unit of work
(unit_of_work.py) that writes what the use cases held, a statement per kind."""
