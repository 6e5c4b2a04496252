-- Cap DuckDB's memory (buffer pool, operators); beyond it DuckDB evicts and spills to disk.
SET memory_limit = $memory_limit;
