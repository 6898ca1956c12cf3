"""Raw HTTP clients of the sources exchanges read, apart from the adapters that fit them to
the exchange interface (`bastion.exchange.impl`)."""
