"""The embedded SQLite backend: `store` (the storage primitives and fast reads), `schema` (tables
and the per-account index layout), `select` (definition selectors compiled to SQL)."""
