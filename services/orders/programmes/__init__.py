"""Free-mask programmes (issue 21): a funder's budget pays producers for units given away to
the people who apply; admission first come or by a seeded, published draw."""
