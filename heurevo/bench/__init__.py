"""The `heurevo bench ...` drivers and the demo settings: top layer, beside the CLI."""
