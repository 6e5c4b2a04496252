-- Write everything committed into the database file now (DuckDB also does this on close).
CHECKPOINT;
