"""Status callbacks to partners: recorded by a trigger, signed, posted and retried by a worker."""
