"""Private matching for end-to-end encrypted services: the protocol, with no server parts.

A device checks its media against a bank it never sees, and the server learns nothing about
an account's media until `t` of its items match (docs/private-matching.md):

- `group`: the prime-order group of edwards25519 (libsodium through PyNaCl): hashing to a
  point, blinding, strict point checks.
- `shamir`: threshold secret sharing over the group's scalar field.
- `tokens`: what is matched: exact tokens of MD5, SHA-256 and PDQ, and locality-sensitive
  tokens of PDQ for near matching.
- `cuckoo`: where a token sits in the blinded table (three choices).
- `table`: the blinded table a device holds, and its updates.
- `voucher`: a voucher, made on the device and opened on the server.
- `franking`: verifiable reports of end-to-end encrypted messages.

Both `bastion.client` (the device) and the service import this package; it needs only
PyNaCl and the standard library.
"""
