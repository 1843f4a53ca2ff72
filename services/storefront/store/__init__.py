"""Every SQL statement of the storefront, a module per table: the phone checks, the codes sent
(for the hourly limits) and the orders placed here (their tracking codes). The site writes one
row at a time, for one visitor, so there is no unit of work to batch them: each function is one
statement, in the caller's transaction."""

import asyncpg

# A pool runs one statement on a connection of its own; a connection, in its transaction.
Database = asyncpg.Connection | asyncpg.Pool
