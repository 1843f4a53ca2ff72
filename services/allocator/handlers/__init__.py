"""The allocator's use cases, over a unit of work (`store.Work`): the events it consumes
(`events`), a product settled after them (`settling`), a fill (`filling`), the clock's holds
that ran out (`expiry`) and an operator's policy (`policy`)."""
