"""The BagIt engine (RFC 8493): read, write, validate and serialise bags."""
