"""Common code of the PLUT hub's services: the event contract and the plumbing around it."""
