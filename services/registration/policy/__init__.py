"""Policy data of the registration service (YAML, each with a JSON Schema beside it)."""
