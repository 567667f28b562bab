"""What the bot keeps, as a user of the bot would notice it: one file per subject of
`storage/`, each test on SQLite and on PostgreSQL (the `store` fixture)."""
