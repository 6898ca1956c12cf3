"""bastion-to-bastion federation: publishing chosen banks to named partners as a signed,
resumable feed of changes (`publisher`), and the keys that sign it (`signing`). The
subscribing side is an exchange like any other (`bastion.exchange.impl.federation`)."""
