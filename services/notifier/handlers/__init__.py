"""The notifier's use cases, one item each, over a unit of work (`store.AbstractUnitOfWork`,
`store.AbstractRoutingWork`): what one event means for whom (which person hears it, by which
template, with which facts), which channel one message goes by, and what one send's answer
means. No SQL here, and nothing about how many items share a transaction.

- `directory`: what events teach (hubs, products, people to tell);
- `orders`: what buyers and producers hear of an order;
- `producers`: what producers hear of their deliveries and their day;
- `programmes`: what applicants to a free-mask programme hear of its draws;
- `route`: the channel one message goes by;
- `send`: what goes to the provider, and what its answer means for the message."""
